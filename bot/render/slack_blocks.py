"""Verdict cards and command answers drawn as Slack Block Kit (plain dicts; no Slack SDK import)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.models import CommandResponse, Finding, LinkProblem, MessageOutcome, Verdict
from bot.render.common import (
    EVIDENCE_MAX_CHARS,
    article_line,
    clip,
    confidence_text,
    headline,
    level_word,
    signals_text,
)
from bot.render.i18n import Lang, word
from matchers.library import as_language

Block = dict[str, Any]

# Block Kit limits (https://docs.slack.dev/reference/block-kit/blocks): exceeding any of them makes Slack refuse the
# whole message with `invalid_blocks`, so every piece of text is clipped here rather than trusted.
MAX_BLOCKS = 50
HEADER_MAX = 150
SECTION_MAX = 3000
CONTEXT_ELEMENT_MAX = 2000
BUTTON_TEXT_MAX = 75
BUTTON_VALUE_MAX = 2000
FALLBACK_MAX = 3000
SECTION_BUDGET = SECTION_MAX - 100  # room for the bold label in front of clipped text

ACTION_CORRECT = "feedback_correct"
ACTION_WRONG = "feedback_wrong"
FEEDBACK_ACTIONS = {ACTION_CORRECT: "correct", ACTION_WRONG: "wrong"}


@dataclass(frozen=True)
class SlackMessage:
    """What chat.postMessage (or a command answer) needs: the plain fallback text and the blocks."""

    text: str
    blocks: list[Block]

    def as_kwargs(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks}


def escape(text: str) -> str:
    """Slack mrkdwn control characters; text from web pages must never open a link or a mention."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url: str, label: str | None = None) -> str:
    """A mrkdwn link; `|` and `>` would end the label or the link early, so they are replaced."""
    safe_url = url.replace(">", "%3E").replace("|", "%7C").replace(" ", "%20")
    if not label:
        return f"<{safe_url}>"
    return f"<{safe_url}|{escape(label).replace('|', '¦')}>"


def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit), "emoji": True}


def _section(text: str) -> Block:
    # clip() counts characters; escaping can lengthen text, so clip the already-escaped text as a last guard.
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:SECTION_MAX]}}


def _context(*texts: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": t[:CONTEXT_ELEMENT_MAX]} for t in texts]}


def feedback_value(narrative_id: str, message_ref: str, lang: Lang | None = None) -> str:
    """The button value: which narrative and which message (or alert) the click is about, and the card's language
    (so the thanks after the click is in it)."""
    return with_language(f"{narrative_id}|{message_ref}", lang)[:BUTTON_VALUE_MAX]


def parse_feedback_value(value: str) -> tuple[str, str, Lang | None] | None:
    """(narrative id, message ref, the card's language), or None for a value no card made. A button posted
    before buttons carried a language has none."""
    narrative_id, sep, rest = value.partition("|")
    message_ref, lang = split_language(rest)
    if not sep or not narrative_id or not message_ref:
        return None
    return narrative_id, message_ref, lang


def with_language(value: str, lang: Lang | None) -> str:
    """A button value with the language of the card it is on appended ("…|uk"), when there is one."""
    return f"{value}|{lang}" if lang else value


def split_language(value: str) -> tuple[str, Lang | None]:
    """A button value and the language appended to it (see with_language); None when there is none."""
    head, sep, tail = value.rpartition("|")
    lang = as_language(tail) if sep else None
    return (head, lang) if lang is not None else (value, None)


def _feedback_block(finding: Finding, message_ref: str, index: int, lang: Lang = "en") -> Block:
    value = feedback_value(finding.narrative_id, message_ref, lang)
    return {
        "type": "actions",
        # block_id must be unique within a message; action_ids repeat across cards, which Slack allows.
        "block_id": f"feedback-{index}-{finding.narrative_id}"[:255],
        "elements": [
            {
                "type": "button",
                "action_id": ACTION_CORRECT,
                "text": _plain(word("button_right", lang), BUTTON_TEXT_MAX),
                "value": value,
            },
            {
                "type": "button",
                "action_id": ACTION_WRONG,
                "text": _plain(word("button_wrong", lang), BUTTON_TEXT_MAX),
                "value": value,
            },
        ],
    }


def _sources_text(finding: Finding, lang: Lang = "en") -> str | None:
    if not finding.sources:
        return None
    lines = [f"• {link(s.url, clip(s.title, 200))}" for s in finding.sources]
    text = f"*{word('sources', lang)}:*\n"
    for line in lines:
        if len(text) + len(line) + 1 > SECTION_BUDGET:
            break
        text += line + "\n"
    return text.rstrip("\n")


def _evidence_text(finding: Finding) -> str:
    return f"> “{escape(clip(finding.evidence, EVIDENCE_MAX_CHARS))}”"


def verdict_blocks(verdict: Verdict, message_ref: str, index: int = 0) -> list[Block]:
    """One card: narrative, evidence, confidence, debunk with sources, the article, and the feedback buttons."""
    top = verdict.top
    lang = verdict.language
    prefix = ("⚠️ " if top.level == "alert" else "🔎 ") + level_word(top, lang)
    blocks: list[Block] = [{"type": "header", "text": _plain(f"{prefix}: {top.title}", HEADER_MAX)}]
    if verdict.feed is not None:
        feed_name = clip(verdict.feed.title or verdict.feed.url, 200)
        blocks.append(_context(f"📡 {word('feed', lang)}: {link(verdict.feed.url, feed_name)}"))
    if verdict.article is not None:
        name = article_line(verdict) or verdict.article.url
        blocks.append(_section(f"*{word('article', lang)}:* {link(verdict.article.url, clip(name, 500))}"))
    blocks.append(_section(f"*{word('evidence', lang)}:*\n{_evidence_text(top)}"))
    confidence = (
        f"{word('confidence', lang)}: {confidence_text(top, lang)} · {word('narrative', lang)} `{top.narrative_id}`"
    )
    why = signals_text(top, lang)
    blocks.append(_context(confidence, escape(why)) if why else _context(confidence))
    blocks.append(_section(f"*{word('facts', lang)}:* {escape(clip(top.debunk, SECTION_BUDGET - 200))}"))
    sources = _sources_text(top, lang)
    if sources:
        blocks.append(_section(sources))
    for other in verdict.findings[1:]:
        also = f"*{word('also', lang)}:* {escape(clip(other.title, 300))} — {confidence_text(other, lang)}"
        blocks.append(_section(f"{also}\n{_evidence_text(other)}"))
    blocks.append(_feedback_block(top, message_ref, index, lang))
    return blocks


def problem_block(problem: LinkProblem) -> Block:
    return _context(f"⚠️ {link(problem.url, clip(problem.url, 200))}: {escape(clip(problem.message, 1000))}")


def fallback_text(verdicts: tuple[Verdict, ...], problems: tuple[LinkProblem, ...] = ()) -> str:
    """The plain `text` Slack shows in notifications and to screen readers."""
    lines = []
    for verdict in verdicts:
        line = headline(verdict)
        article = article_line(verdict)
        if article:
            line += f" — {article}"
        lines.append(line)
    lines.extend(word("could_not_read", p.language, url=p.url, message=p.message) for p in problems)
    return escape("\n".join(lines))[:FALLBACK_MAX]


def _fit(
    cards: list[list[Block]], tail: list[Block], head: list[Block] | None = None, lang: Lang = "en"
) -> list[Block]:
    """Join cards with dividers, dropping whole cards that would pass the 50-block limit (with a note)."""
    blocks: list[Block] = list((head or [])[: MAX_BLOCKS // 2])
    dropped = 0
    for card in cards:
        needed = len(card) + (1 if blocks else 0)
        if len(blocks) + needed + len(tail) + 1 > MAX_BLOCKS:
            dropped += 1
            continue
        if blocks:
            blocks.append({"type": "divider"})
        blocks.extend(card)
    room = MAX_BLOCKS - len(blocks) - (1 if dropped else 0)
    blocks.extend(tail[: max(room, 0)])
    if dropped:
        blocks.append(_context(word("more_not_shown", lang, count=dropped)))
    return blocks[:MAX_BLOCKS]


def render_outcome(outcome: MessageOutcome, message_ref: str) -> SlackMessage:
    """The threaded reply to a chat message; `message_ref` (its ts) goes into the feedback buttons."""
    cards = [verdict_blocks(v, message_ref, i) for i, v in enumerate(outcome.verdicts)]
    tail = [problem_block(p) for p in outcome.problems]
    lang = outcome.verdicts[0].language if outcome.verdicts else "en"
    return SlackMessage(fallback_text(outcome.verdicts, outcome.problems), _fit(cards, tail, lang=lang))


def render_alert(verdict: Verdict, alert_ref: str) -> SlackMessage:
    """A feed alert: the same card, with the feed and the item link."""
    return SlackMessage(fallback_text((verdict,)), _fit([verdict_blocks(verdict, alert_ref)], []))


def _text_sections(text: str) -> list[Block]:
    """Long command answers (e.g. `list`) split on line boundaries into sections under Slack's 3000 limit."""
    chunks: list[str] = []
    current = ""
    for line in text.splitlines():
        while len(line) > SECTION_BUDGET:
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:SECTION_BUDGET])
            line = line[SECTION_BUDGET:]
        if current and len(current) + 1 + len(line) > SECTION_BUDGET:
            chunks.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        chunks.append(current)
    return [_section(c) for c in chunks if c.strip()]


def render_response(response: CommandResponse, message_ref: str = "command") -> SlackMessage:
    """A `/narrative` answer. The core's text is already Slack mrkdwn (`*bold*`, `code`), so it is not escaped."""
    cards = [verdict_blocks(v, message_ref, i) for i, v in enumerate(response.verdicts)]
    # A problem's message is already the response text; drawing it again would say it twice.
    lang = response.verdicts[0].language if response.verdicts else "en"
    blocks = _fit(cards, [], head=_text_sections(response.text), lang=lang)
    text = response.text
    if response.verdicts:
        text = f"{text}\n{fallback_text(response.verdicts)}"
    return SlackMessage(text[:FALLBACK_MAX] or "…", blocks)


def notice_message(text: str) -> SlackMessage:
    return SlackMessage(clip(text, FALLBACK_MAX), [_section(escape(clip(text, SECTION_BUDGET)))])
