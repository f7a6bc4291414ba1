"""The one line a feed alert shows in the channel when the channel wants its cards in threads."""

from __future__ import annotations

from bot.models import Verdict
from bot.render.common import article_line, headline


def thread_parent_text(verdict: Verdict) -> str:
    """What the alert is about, in one line; the card itself (evidence, debunk, buttons) goes in its thread."""
    parts = [f"⚠ {headline(verdict)}"]
    article = article_line(verdict)
    if article:
        parts.append(article)
    if verdict.article is not None:
        parts.append(verdict.article.url)
    elif verdict.feed is not None:
        parts.append(verdict.feed.title or verdict.feed.url)
    return " · ".join(parts) + " · details in the thread"
