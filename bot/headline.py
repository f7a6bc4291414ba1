"""One headline per article text: pages repeat it as <title>, <h1> and first sentence, and quotes repeated it."""

from __future__ import annotations

# A page title often carries the site's name: "Headline | Site", "Headline — Site".
_SITE_SEPARATORS = (" | ", " — ", " – ", " - ", " :: ", " · ")
# Shorter parts of a title are a site name or a rubric, not a headline to look for in the text.
_MIN_HEADLINE_CHARS = 12
_END = " .!?…:;,\"'«»“”"


def _words(text: str) -> list[str]:
    words = text.casefold().split()
    if words:
        words[-1] = words[-1].rstrip(_END)
        if not words[-1]:
            words.pop()
    return words


def headline_forms(title: str | None) -> list[list[str]]:
    """The title's words, and those of its part before (or after) a site-name separator."""
    if not title or not title.strip():
        return []
    forms = [_words(title)]
    for separator in _SITE_SEPARATORS:
        if separator in title:
            for part in (title.split(separator, 1)[0], title.rsplit(separator, 1)[-1]):
                if len(part.strip()) >= _MIN_HEADLINE_CHARS:
                    forms.append(_words(part))
    # Longest first, so that "Headline | Site" is recognised whole before "Headline" alone.
    return sorted((f for f in forms if f), key=len, reverse=True)


def after_headline(line: str, forms: list[list[str]]) -> str | None:
    """The rest of `line` when it begins with the headline (as a whole line or a first sentence), else None."""
    words = line.split()
    folded = [w.casefold() for w in words]
    for form in forms:
        n = len(form)
        if len(words) >= n and folded[: n - 1] == form[: n - 1] and folded[n - 1].rstrip(_END) == form[-1]:
            return " ".join(words[n:])
    return None


def dedupe_headline(text: str, title: str | None) -> str:
    """`text` with repeated lines dropped, and the headline kept only at its first appearance.

    The matcher scores neighbouring sentences together, so a headline that also opens the first paragraph
    would otherwise be quoted twice (or three times, with the title the core puts before the text) as evidence.
    """
    forms = headline_forms(title)
    seen: set[str] = set()
    headline_seen = False
    out: list[str] = []
    for raw in text.split("\n"):
        line = raw
        rest = after_headline(line, forms) if forms else None
        if rest is not None:
            if headline_seen:
                line = rest
            headline_seen = True
        key = " ".join(line.casefold().split())
        if not key or key in seen:
            continue
        seen.add(key)
        out.append(line)
    return "\n".join(out)


def with_headline(title: str | None, text: str) -> str:
    """The text to match: the title first, unless the text already opens with it."""
    if not title or not title.strip():
        return text
    first_line = text.split("\n", 1)[0]
    if after_headline(first_line, headline_forms(title)) is not None:
        return text
    return f"{title}\n{text}"
