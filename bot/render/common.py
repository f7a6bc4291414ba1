"""Wording shared by every renderer, so a card says the same thing on Slack, Discord and the console."""

from __future__ import annotations

from bot.models import Finding, Verdict

EVIDENCE_MAX_CHARS = 300


def clip(text: str, limit: int) -> str:
    """Shorten to `limit` characters on a word boundary, with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,.;:") + "…"


def confidence_label(score: int) -> str:
    if score >= 80:
        return "high"
    if score >= 65:
        return "medium"
    return "low"


def confidence_text(finding: Finding) -> str:
    suffix = "" if finding.level == "alert" else ", below the alert threshold"
    return f"{confidence_label(finding.score)} confidence ({finding.score}/100{suffix})"


def headline(verdict: Verdict) -> str:
    """The one-line plain text a notification or screen reader shows."""
    top = verdict.top
    prefix = "Known narrative" if top.level == "alert" else "Possible narrative"
    return f"{prefix}: {top.title} — {confidence_text(top)}"


def article_line(verdict: Verdict) -> str | None:
    article = verdict.article
    if article is None:
        return None
    name = article.title or article.url
    site = f" ({article.site})" if article.site else ""
    return f"{name}{site}"


def signals_text(finding: Finding) -> str | None:
    """"Why: similar phrasing · stance words: в истерике · model …": what a reader can check the match by."""
    return "Why: " + " · ".join(finding.signals) if finding.signals else None
