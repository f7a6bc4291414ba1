"""Wording shared by every renderer, so a card says the same thing on Slack, Discord and the console, in the
language of its verdict."""

from __future__ import annotations

from bot.models import Finding, Verdict
from bot.render.i18n import Lang, translate_signal, word

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


def confidence_text(finding: Finding, lang: Lang = "en") -> str:
    suffix = "" if finding.level == "alert" else ", " + word("below_threshold", lang)
    level = word(confidence_label(finding.score), lang)
    return word("confidence_text", lang, level=level, score=finding.score, suffix=suffix)


def level_word(finding: Finding, lang: Lang) -> str:
    """"Known narrative" for an alert, "Possible narrative" below the threshold."""
    return word("known" if finding.level == "alert" else "possible", lang)


def headline(verdict: Verdict) -> str:
    """The one-line plain text a notification or screen reader shows."""
    top = verdict.top
    return f"{level_word(top, verdict.language)}: {top.title} — {confidence_text(top, verdict.language)}"


def article_line(verdict: Verdict) -> str | None:
    article = verdict.article
    if article is None:
        return None
    name = article.title or article.url
    site = f" ({article.site})" if article.site else ""
    return f"{name}{site}"


def signals_list(finding: Finding, lang: Lang = "en") -> str | None:
    """"similar phrasing · stance words: в истерике · model …": what a reader can check the match by."""
    if not finding.signals:
        return None
    return " · ".join(translate_signal(signal, lang) for signal in finding.signals)


def signals_text(finding: Finding, lang: Lang = "en") -> str | None:
    """The signals behind a "Why:" label."""
    listed = signals_list(finding, lang)
    return f"{word('why', lang)}: {listed}" if listed else None
