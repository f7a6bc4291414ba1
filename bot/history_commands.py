"""`/narrative recent`, `/narrative feedback` and `/narrative digest`: the channel's history, in chat."""

from __future__ import annotations

import datetime as dt

from bot.digest import DigestSettings
from bot.feedback_export import format_reviewed, reviewed
from bot.history import REASONS, AlertHistory, AlertRecord
from bot.models import CommandRequest, CommandResponse

RECENT_DEFAULT = 10
RECENT_MAX = 25
FEEDBACK_MAX = 10
FEEDBACK_TEXT_CHARS = 160


def _feedback_so_far(record: AlertRecord) -> str:
    if not record.correct and not record.wrong:
        return "no feedback yet"
    reason = f" ({REASONS[record.reason].lower()})" if record.reason else ""
    return f"{record.correct} right, {record.wrong} wrong{reason}"


def format_recent(records: list[AlertRecord]) -> str:
    if not records:
        return "No alerts in this channel yet."
    lines = [f"Latest {len(records)} alert{'s' if len(records) != 1 else ''} here, newest first:"]
    for r in records:
        when = dt.datetime.fromtimestamp(r.created_at, dt.UTC).strftime("%Y-%m-%d %H:%M")
        origin = "feed" if r.origin == "feed" else "chat"
        link = f" — {r.link}" if r.link else ""
        lines.append(
            f"• {when} UTC — *{r.title or r.narrative_id}* (`{r.narrative_id}`) {r.score}/100 — "
            f"{r.site or '?'} ({origin}){link} — {_feedback_so_far(r)}"
        )
    return "\n".join(lines)


class HistoryCommands:
    """The history subcommands of `/narrative`, for the channel they are typed in."""

    def __init__(self, history: AlertHistory, digests: DigestSettings) -> None:
        self.history = history
        self.digests = digests

    def handle(self, request: CommandRequest, sub: str, rest: str) -> CommandResponse:
        if sub == "recent":
            return self.recent(request, rest)
        if sub == "feedback":
            return self.feedback(request, rest)
        return self.digest(request, rest)

    def recent(self, request: CommandRequest, rest: str) -> CommandResponse:
        words = rest.split()
        if len(words) > 1 or (words and not words[0].isdigit()):
            return CommandResponse(f"Usage: `/narrative recent [N]` (N up to {RECENT_MAX}).", error=True)
        limit = min(int(words[0]), RECENT_MAX) if words else RECENT_DEFAULT
        if limit < 1:
            return CommandResponse(f"Usage: `/narrative recent [N]` (N from 1 to {RECENT_MAX}).", error=True)
        records = self.history.recent(request.platform, request.channel_id, limit, tenant=request.tenant)
        return CommandResponse(format_recent(records))

    def feedback(self, request: CommandRequest, rest: str) -> CommandResponse:
        status = rest.strip().lower() or None
        if status not in (None, "disputed", "confirmed"):
            return CommandResponse("Usage: `/narrative feedback [disputed|confirmed]`.", error=True)
        records = reviewed(
            self.history, channel=f"{request.platform}:{request.channel_id}", status=status, tenant=request.tenant
        )
        records = sorted(records, key=lambda r: -r.created_at)[:FEEDBACK_MAX]
        text = format_reviewed(records, text_chars=FEEDBACK_TEXT_CHARS)
        if records:
            text += "\n\n`narrative-bot feedback export` writes them as candidate library entries for review."
        return CommandResponse(text)

    def digest(self, request: CommandRequest, rest: str) -> CommandResponse:
        action = rest.strip().lower()
        if action in ("", "status"):
            on = self.digests.enabled(request.platform, request.channel_id, tenant=request.tenant)
            return CommandResponse(
                f"The weekly digest is {'on' if on else 'off'} in this channel "
                f"(`/narrative digest {'off' if on else 'on'}` to turn it {'off' if on else 'on'})."
            )
        if action not in ("on", "off"):
            return CommandResponse("Usage: `/narrative digest on|off`.", error=True)
        self.digests.set(request.platform, request.channel_id, action == "on", request.user_id, tenant=request.tenant)
        if action == "on":
            return CommandResponse(
                "Weekly digest on: once a week this channel gets a short summary of its alerts, with a chart of "
                "narratives by week. The first one follows within minutes.",
                ephemeral=False,
            )
        return CommandResponse("Weekly digest off for this channel.", ephemeral=False)
