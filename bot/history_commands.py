"""`/narrative recent`, `/narrative feedback` and `/narrative digest`: the channel's history, in chat."""

from __future__ import annotations

import datetime as dt

from bot.digest import DigestSettings
from bot.feedback_export import format_reviewed, reviewed
from bot.history import AlertHistory, AlertRecord
from bot.models import CommandRequest, CommandResponse
from bot.read_reasons import plural
from bot.render.i18n import LATEST_ALERTS, reason_label, word
from matchers import Lang

RECENT_DEFAULT = 10
RECENT_MAX = 25
FEEDBACK_MAX = 10
FEEDBACK_TEXT_CHARS = 160


def _feedback_so_far(record: AlertRecord, lang: Lang = "en") -> str:
    if not record.correct and not record.wrong:
        return word("feedback_none_yet", lang)
    reason = f" ({reason_label(record.reason, lang).lower()})" if record.reason else ""
    return word("feedback_counts", lang, right=record.correct, wrong=record.wrong, reason=reason)


def format_recent(records: list[AlertRecord], lang: Lang = "en") -> str:
    if not records:
        return word("recent_none", lang)
    count = len(records)
    lines = [word("recent_header", lang, count=count, alerts=plural(count, lang, LATEST_ALERTS))]
    for r in records:
        when = dt.datetime.fromtimestamp(r.created_at, dt.UTC).strftime("%Y-%m-%d %H:%M")
        origin = word("origin_feed" if r.origin == "feed" else "origin_chat", lang)
        link = f" — {r.link}" if r.link else ""
        lines.append(
            f"• {when} UTC — *{r.title or r.narrative_id}* (`{r.narrative_id}`) {r.score}/100 — "
            f"{r.site or '?'} ({origin}){link} — {_feedback_so_far(r, lang)}"
        )
    return "\n".join(lines)


class HistoryCommands:
    """The history subcommands of `/narrative`, for the channel they are typed in, answered in the language the
    command chose (the channel's, else that of the words typed, else English)."""

    def __init__(self, history: AlertHistory, digests: DigestSettings) -> None:
        self.history = history
        self.digests = digests

    def handle(self, request: CommandRequest, sub: str, rest: str, lang: Lang = "en") -> CommandResponse:
        if sub == "recent":
            return self.recent(request, rest, lang)
        if sub == "feedback":
            return self.feedback(request, rest, lang)
        return self.digest(request, rest, lang)

    def recent(self, request: CommandRequest, rest: str, lang: Lang = "en") -> CommandResponse:
        words = rest.split()
        if len(words) > 1 or (words and not words[0].isdigit()):
            return CommandResponse(word("recent_usage", lang, max=RECENT_MAX), error=True)
        limit = min(int(words[0]), RECENT_MAX) if words else RECENT_DEFAULT
        if limit < 1:
            return CommandResponse(word("recent_usage_range", lang, max=RECENT_MAX), error=True)
        records = self.history.recent(request.platform, request.channel_id, limit, tenant=request.tenant)
        return CommandResponse(format_recent(records, lang))

    def feedback(self, request: CommandRequest, rest: str, lang: Lang = "en") -> CommandResponse:
        status = rest.strip().lower() or None
        if status not in (None, "disputed", "confirmed"):
            return CommandResponse(word("feedback_usage", lang), error=True)
        records = reviewed(
            self.history, channel=f"{request.platform}:{request.channel_id}", status=status, tenant=request.tenant
        )
        records = sorted(records, key=lambda r: -r.created_at)[:FEEDBACK_MAX]
        text = format_reviewed(records, text_chars=FEEDBACK_TEXT_CHARS, lang=lang)
        if records:
            text += "\n\n" + word("feedback_export_hint", lang)
        return CommandResponse(text)

    def digest(self, request: CommandRequest, rest: str, lang: Lang = "en") -> CommandResponse:
        action = rest.strip().lower()
        if action in ("", "status"):
            on = self.digests.enabled(request.platform, request.channel_id, tenant=request.tenant)
            return CommandResponse(word("digest_status_on" if on else "digest_status_off", lang))
        if action not in ("on", "off"):
            return CommandResponse(word("digest_usage", lang), error=True)
        self.digests.set(request.platform, request.channel_id, action == "on", request.user_id, tenant=request.tenant)
        return CommandResponse(word(f"digest_turned_{action}", lang), ephemeral=False)
