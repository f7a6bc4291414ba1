"""Verdict cards drawn as plain text for the console and logs."""

from __future__ import annotations

import textwrap

from bot.models import CommandResponse, LinkProblem, MessageOutcome, Verdict
from bot.render.common import EVIDENCE_MAX_CHARS, article_line, clip, confidence_text, headline, signals_text
from bot.render.i18n import word

WIDTH = 96


def _wrap(text: str, indent: str = "  ") -> str:
    return textwrap.fill(text, width=WIDTH, initial_indent=indent, subsequent_indent=indent)


def render_verdict(verdict: Verdict) -> str:
    lang = verdict.language
    lines = ["┌─ " + headline(verdict)]
    if verdict.feed is not None:
        lines.append(f"│ {word('feed', lang)}: {verdict.feed.title or verdict.feed.url}")
    article = article_line(verdict)
    if article:
        lines.append(f"│ {word('article', lang)}: {article}")
        if verdict.article is not None:
            lines.append(f"│   {verdict.article.url}")
    for i, finding in enumerate(verdict.findings):
        if i:
            lines.append(f"│ {word('also', lang)}: {finding.title} — {confidence_text(finding, lang)}")
        lines.append(f"│ {word('evidence', lang)}:")
        lines.append(_wrap(f"“{clip(finding.evidence, EVIDENCE_MAX_CHARS)}”", "│   "))
        why = signals_text(finding, lang)
        if why:
            lines.append(_wrap(why, "│ "))
        if i == 0:
            lines.append(f"│ {word('facts', lang)}:")
            lines.append(_wrap(finding.debunk, "│   "))
            for source in finding.sources:
                lines.append(f"│   – {source.title}: {source.url}")
    lines.append(f"└─ {word('narrative', lang)}: {verdict.top.narrative_id}")
    return "\n".join(lines)


def render_problem(problem: LinkProblem) -> str:
    return f"⚠ {problem.url}: {problem.message}"


def render_outcome(outcome: MessageOutcome) -> str:
    parts = [render_verdict(v) for v in outcome.verdicts]
    parts.extend(render_problem(p) for p in outcome.problems)
    return "\n".join(parts)


def render_response(response: CommandResponse) -> str:
    text = response.text.replace("*", "").replace("`", "")
    parts = [text]
    parts.extend(render_verdict(v) for v in response.verdicts)
    return "\n".join(parts)
