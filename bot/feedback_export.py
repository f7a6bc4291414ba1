"""Reviewed matches: listing them, exporting them as candidate library entries (YAML), and reading an export back
as an evaluation set. An export is for an editor to review; nothing here ever writes the library."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from bot.history import AlertHistory, AlertRecord
from bot.render.i18n import reason_label, reply_language, word
from matchers import Lang
from matchers.evaluation import Case, CaseError

EXPORT_FORMAT = "narrative-bot-feedback/1"
LIST_TEXT_CHARS = 240
MAX_EXPORT_BYTES = 32 * 1024 * 1024


def reviewed(
    history: AlertHistory,
    *,
    since: float | None = None,
    channel: str | None = None,
    status: str | None = None,
    tenant: str | None = None,
) -> list[AlertRecord]:
    """Alerts someone marked right or wrong (`status`: only `confirmed` or only `disputed`), of one tenant when
    given, oldest first."""
    wanted = (status,) if status else ("confirmed", "disputed")
    return [a for a in history.alerts(since=since, channel=channel, tenant=tenant) if a.status in wanted]


def _when(when: float) -> str:
    return dt.datetime.fromtimestamp(when, dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def format_reviewed(records: Sequence[AlertRecord], *, text_chars: int = LIST_TEXT_CHARS, lang: Lang = "en") -> str:
    """Disputed matches first (they are what an editor acts on), then confirmed ones, newest first in each; the
    bot's own words in `lang` (the quoted evidence and text as they were found)."""
    if not records:
        return word("reviewed_none", lang)
    lines: list[str] = []
    for status in ("disputed", "confirmed"):
        group = sorted((r for r in records if r.status == status), key=lambda r: (-r.created_at, -r.id))
        if not group:
            continue
        lines.append(word(f"reviewed_{status}", lang, count=len(group)))
        for r in group:
            reason = word("reviewed_reason", lang, reason=reason_label(r.reason, lang).lower()) if r.reason else ""
            counts = word("feedback_counts", lang, right=r.correct, wrong=r.wrong, reason=reason)
            lines.append(
                f"• `{r.narrative_id}` {r.score}/100 — {r.platform}:{r.channel_id}, {_when(r.created_at)[:10]} — "
                f"{counts}"
            )
            lines.append(word("reviewed_evidence", lang, text=_clip(r.evidence, text_chars)))
            if r.excerpt and r.excerpt != r.evidence:
                lines.append(word("reviewed_text", lang, text=_clip(r.excerpt, text_chars)))
            if r.link:
                lines.append(word("reviewed_source", lang, url=r.link))
        lines.append("")
    return "\n".join(lines).rstrip()


def _entry(record: AlertRecord) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "text": record.evidence or record.excerpt,
        "lang": reply_language(record.evidence or record.excerpt),
        "context": record.excerpt or record.evidence,
        "source": record.source_url or record.permalink or f"{record.platform}:{record.channel_id}",
    }
    if record.permalink and record.permalink != entry["source"]:
        entry["message"] = record.permalink
    entry.update(
        {
            "channel": f"{record.platform}:{record.channel_id}",
            "alerted_at": _when(record.created_at),
            "score": record.score,
            "feedback": {"right": record.correct, "wrong": record.wrong},
        }
    )
    if record.reason:
        entry["reason"] = record.reason
    return entry


def export_document(records: Sequence[AlertRecord], *, now: float, since: float | None) -> dict[str, Any]:
    """Confirmed matches become candidate `examples`; a match disputed as the wrong narrative a candidate
    `non_examples` entry (with `true_narrative` for the editor to fill in); any other disputed match a candidate
    `counter_examples` entry under its language."""
    narratives: dict[str, dict[str, Any]] = {}
    for record in sorted(records, key=lambda r: (r.narrative_id, r.created_at, r.id)):
        if record.status not in ("confirmed", "disputed"):
            continue
        section = narratives.setdefault(record.narrative_id, {"title": record.title})
        entry = _entry(record)
        if record.status == "confirmed":
            section.setdefault("examples", []).append(entry)
        elif record.reason == "wrong-narrative":
            entry["true_narrative"] = None
            section.setdefault("non_examples", []).append(entry)
        else:
            section.setdefault("counter_examples", {}).setdefault(entry["lang"], []).append(entry)
    return {
        "format": EXPORT_FORMAT,
        "exported_at": _when(now),
        "since": _when(since) if since is not None else None,
        "narratives": narratives,
    }


HEADER = """\
# Candidate library entries from the newsroom's feedback on narrative-bot alerts.
# Nothing here is in the library: review each entry, then copy the ones that hold into narratives.yaml
# (`examples`: confirmed matches; `non_examples`: matches disputed as the wrong narrative; `counter_examples`:
# matches disputed as not propaganda, a fact-check or other). `narrative-bot eval THIS_FILE` measures the bot on
# these cases; a `non_examples` entry counts there only once `true_narrative` names the narrative it carries.
"""


def export_yaml(records: Sequence[AlertRecord], *, now: float, since: float | None) -> str:
    body = yaml.safe_dump(
        export_document(records, now=now, since=since), allow_unicode=True, sort_keys=False, width=120
    )
    return HEADER + body


# -- an export as an evaluation set -------------------------------------------------------------------------------


def _entries(value: object, where: str) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(e, dict) for e in value):
        raise CaseError(f"{where}: expected a list of entries with `text`")
    return value


def _text(entry: dict[str, Any], where: str) -> str:
    text = entry.get("context") or entry.get("text")
    if not isinstance(text, str) or not text.strip():
        raise CaseError(f"{where}: an entry needs a `text` (or `context`) string")
    return text


def cases_from_export(path: Path) -> tuple[list[Case], int]:
    """The evaluation cases of a feedback export, and how many entries could not be scored (a wrong-narrative
    entry whose `true_narrative` is still empty). CaseError names the file and entry when it cannot be used."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CaseError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(raw) > MAX_EXPORT_BYTES:
        raise CaseError(f"{path}: larger than {MAX_EXPORT_BYTES} bytes")
    try:
        data = yaml.safe_load(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise CaseError(f"{path}: not UTF-8 text") from None
    except yaml.YAMLError as exc:
        raise CaseError(f"{path}: not valid YAML: {exc}") from None
    narratives = data.get("narratives") if isinstance(data, dict) else None
    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT or not isinstance(narratives, dict):
        raise CaseError(f"{path}: not a feedback export (expected `format: {EXPORT_FORMAT}` and `narratives:`)")
    cases: list[Case] = []
    unscored = 0
    for narrative_id, section in narratives.items():
        where = f"{path}: narratives.{narrative_id}"
        if not isinstance(section, dict):
            raise CaseError(f"{where}: expected a mapping")
        for i, entry in enumerate(_entries(section.get("examples"), f"{where}.examples"), 1):
            text = _text(entry, f"{where}.examples[{i}]")
            labels = (str(narrative_id),)
            cases.append(Case(f"{narrative_id}/example/{i}", "propaganda", _lang(entry, text), labels, text))
        for i, entry in enumerate(_entries(section.get("non_examples"), f"{where}.non_examples"), 1):
            text = _text(entry, f"{where}.non_examples[{i}]")
            true = entry.get("true_narrative")
            if not isinstance(true, str) or not true.strip():
                unscored += 1
                continue
            case_id = f"{narrative_id}/non-example/{i}"
            cases.append(Case(case_id, "propaganda", _lang(entry, text), (true.strip(),), text))
        counter = section.get("counter_examples") or {}
        if not isinstance(counter, dict):
            raise CaseError(f"{where}.counter_examples: expected a mapping of language to entries")
        for lang, entries in counter.items():
            for i, entry in enumerate(_entries(entries, f"{where}.counter_examples.{lang}"), 1):
                text = _text(entry, f"{where}.counter_examples.{lang}[{i}]")
                kind = "critical" if entry.get("reason") == "fact-check" else "neutral"
                cases.append(Case(f"{narrative_id}/counter-example/{lang}/{i}", kind, str(lang), (), text))
    return cases, unscored


def _lang(entry: dict[str, Any], text: str) -> str:
    lang = entry.get("lang")
    return lang if isinstance(lang, str) and lang else reply_language(text)
