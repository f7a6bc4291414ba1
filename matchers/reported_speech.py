"""Reported-speech variants of the library's phrasings, for training the learned stage.

State media mostly carry a talking point as someone's words ("По словам Пескова, …", "«…», — заявил депутат",
"Zakharova said that …"), while the library states it plainly, and its counter-examples (neutral wire copy) are
full of "said" and "заявил". Trained on the plain phrasings alone, the classifier learned that attribution means
a neutral report. Each positive line is therefore also trained on once inside one of the library's attribution
frames, picked by hashing the line with each frame so the training set stays deterministic.

Measured as held-out F1 on halves of the real-media development set (four split seeds, the blend refitted each
time): plain phrasings 0.60; the shipped 16 frames per language, 0.65. Which frame a line gets moves that by
about 0.03 (the same frames dealt by the line's hash alone gave 0.68; a trial set of 12, 0.65; 24, 0.67 with more
false alarms); one frame per line beat two (0.65 against 0.64). Negatives are not framed: framing them too taught
the reverse lesson (0.63 against 0.65 with the trial frames).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence

from matchers.normalize import text_language

# The slots of an attribution frame: `{claim}` takes a line as a clause ("…, что {claim}"), `{quote}` as a
# quotation without its final full stop ("«{quote}», — сказал…").
CLAIM, QUOTE = "{claim}", "{quote}"
_WORD = re.compile(r"\w+")


def frame_problem(frame: str) -> str | None:
    """Why an attribution frame cannot be used, or None: it needs exactly one slot and no other braces."""
    slots = frame.count(CLAIM) + frame.count(QUOTE)
    if slots != 1:
        return f"needs exactly one of {CLAIM} or {QUOTE}, has {slots}"
    rest = frame.replace(CLAIM, "").replace(QUOTE, "")
    if "{" in rest or "}" in rest:
        return "holds a brace outside its slot"
    if not rest.strip():
        return "is only a slot: it adds no attribution"
    return None


def lowercase_words(texts: Iterable[str]) -> frozenset[str]:
    """Words the texts write in lower case somewhere: a phrasing opening with one can lose its capital inside a
    frame ("Запад" opens many phrasings but is written capitalised everywhere, so it keeps it)."""
    words: set[str] = set()
    for text in texts:
        words.update(w for w in _WORD.findall(text) if w.islower())
    return frozenset(words)


def as_clause(text: str, lowercase: frozenset[str]) -> str:
    first = _WORD.search(text)
    if first is None or first.start() != 0 or first.group().lower() not in lowercase or first.group().isupper():
        return text
    return text[0].lower() + text[1:]


def as_quote(text: str) -> str:
    return text[:-1] if text.endswith(".") and not text.endswith("..") else text


def frame_for(text: str, frames: Sequence[str]) -> str:
    """The frame whose hash with the line is highest (rendezvous hashing): the same frame every time, whatever the
    frames' order, and a frame added or removed moves only the lines that pick it, so an edit of the frames
    re-embeds about one line in sixteen rather than all of them."""
    return max(frames, key=lambda frame: hashlib.sha256(f"{frame}\0{text}".encode()).digest())


def attributed(text: str, frames: Sequence[str], lowercase: frozenset[str]) -> str:
    """The line inside one of the frames (the same one every time), or the line itself when there are none."""
    text = text.strip()
    if not frames or not text:
        return text
    frame = frame_for(text, frames)
    if QUOTE in frame:
        return frame.replace(QUOTE, as_quote(text))
    return frame.replace(CLAIM, as_clause(text, lowercase))


def attributed_lines(
    lines: Iterable[tuple[str | None, str]], frames: Mapping[str, Sequence[str]], lowercase: frozenset[str]
) -> list[str]:
    """The framed variant of each (language, line) whose language has frames; other lines have none."""
    return [attributed(line, frames[lang], lowercase) for lang, line in lines if lang and frames.get(lang)]


def positive_lines(phrasings: Iterable[tuple[str, str]], examples: Iterable[str]) -> list[tuple[str | None, str]]:
    """(language, line) of a narrative's phrasings, and of its examples by their letters (they carry no key)."""
    return [*phrasings, *((text_language(example), example) for example in examples)]
