"""The weekly digest: which channels asked for it, when it is due, and what it says."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from bot.channel_settings import ChannelSettings
from bot.history import AlertHistory
from bot.store import Store

logger = logging.getLogger(__name__)

WEEK_S = 7 * 86400
DIGEST_TICK_S = 600.0  # how often the run loop looks for digests due; a new week's digest goes out within that
CHART_NAME = "narratives-by-week.png"
DIGEST_WEEKS = 8  # weeks the digest chart shows


def iso_week(when: float) -> str:
    """The ISO week a time falls in, as `2026-W49` (UTC): a digest is posted once per such week."""
    year, week, _ = dt.datetime.fromtimestamp(when, dt.UTC).isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class DigestChannel:
    platform: str
    channel_id: str
    last_week: str | None
    tenant: str = ""


class DigestSettings:
    """Which channels get the weekly digest, and the week each last received one.

    The on/off flag is the channel's `digest` setting (bot/channel_settings.py: `/narrative settings digest on`,
    its shorthand `/narrative digest on`, or NARRATIVE_BOT_DIGEST for every channel), so there is one place
    that says it; the `digest_channels` table only remembers the week last sent, so a restart neither repeats
    nor skips one.
    """

    def __init__(self, store: Store, channels: ChannelSettings) -> None:
        self.store = store
        self.channels = channels

    def set(self, platform: str, channel_id: str, enabled: bool, user_id: str = "", *, tenant: str = "") -> None:
        self.channels.change(platform, channel_id, ["digest", "on" if enabled else "off"], user_id, tenant=tenant)

    def enabled(self, platform: str, channel_id: str, *, tenant: str = "") -> bool:
        return self.channels.policy(platform, channel_id, tenant=tenant).digest

    def due(self, platform: str, now: float) -> list[DigestChannel]:
        """The platform's channels with the digest on that have not had this week's."""
        week = iso_week(now)
        rows = self.store.query(
            "SELECT tenant, channel_id, last_week FROM digest_channels WHERE platform = ?", (platform,)
        )
        last = {(r["tenant"], r["channel_id"]): r["last_week"] for r in rows}
        return [
            DigestChannel(platform, channel_id, last.get((tenant, channel_id)), tenant)
            for _, tenant, channel_id in self.channels.digest_channels(platform)
            if last.get((tenant, channel_id)) != week
        ]

    def mark_sent(self, platform: str, channel_id: str, week: str, *, tenant: str = "") -> None:
        with self.store.transaction() as db:
            db.execute(
                """INSERT INTO digest_channels (platform, tenant, channel_id, enabled, last_week, updated_at)
                   VALUES (?, ?, ?, 1, ?, ?)
                   ON CONFLICT (platform, tenant, channel_id) DO UPDATE SET last_week = excluded.last_week,
                       updated_at = excluded.updated_at""",
                (platform, tenant, channel_id, week, self.store.clock()),
            )


@dataclass(frozen=True)
class Digest:
    """A channel's weekly summary: a few lines and the chart of narratives by week (PNG bytes)."""

    platform: str
    channel_id: str
    week: str
    text: str
    chart_png: bytes
    chart_name: str = CHART_NAME
    tenant: str = ""


class DigestSender(Protocol):
    """Posts a digest with its chart through the platform's file upload; raises on failure (retried next tick)."""

    platform: str

    async def send_digest(self, digest: Digest) -> None: ...


def digest_text(history: AlertHistory, platform: str, channel_id: str, now: float, *, tenant: str = "") -> str:
    """The week in a few lines: how many alerts, the narratives seen most, what feedback said."""
    alerts = history.alerts(since=now - WEEK_S, channel=f"{platform}:{channel_id}", tenant=tenant)
    if not alerts:
        return "Weekly narrative digest: no known narrative was flagged in this channel in the last 7 days."
    by_narrative: dict[str, list[int]] = {}
    titles: dict[str, str] = {}
    for alert in alerts:
        by_narrative.setdefault(alert.narrative_id, []).append(alert.score)
        titles[alert.narrative_id] = alert.title or alert.narrative_id
    ranked = sorted(by_narrative.items(), key=lambda item: (-len(item[1]), item[0]))
    lines = [f"Weekly narrative digest: {len(alerts)} alert{'s' if len(alerts) != 1 else ''} in the last 7 days."]
    for narrative_id, scores in ranked[:5]:
        lines.append(f"• {titles[narrative_id]} (`{narrative_id}`): {len(scores)}, best score {max(scores)}/100")
    right = sum(a.correct for a in alerts)
    wrong = sum(a.wrong for a in alerts)
    if right or wrong:
        lines.append(f"Feedback: {right} marked right, {wrong} marked wrong.")
    lines.append("The chart shows narratives by week; `/narrative recent` lists the latest alerts.")
    return "\n".join(lines)


def build_digest(history: AlertHistory, platform: str, channel_id: str, now: float, *, tenant: str = "") -> Digest:
    from bot.chart import weekly_chart_png, weekly_counts

    alerts = history.alerts(since=now - DIGEST_WEEKS * WEEK_S, channel=f"{platform}:{channel_id}", tenant=tenant)
    png = weekly_chart_png(weekly_counts(alerts, now=now, weeks=DIGEST_WEEKS))
    text = digest_text(history, platform, channel_id, now, tenant=tenant)
    return Digest(platform, channel_id, iso_week(now), text, png, tenant=tenant)


async def send_due_digests(
    history: AlertHistory, settings: DigestSettings, sender: DigestSender, clock: Callable[[], float]
) -> int:
    """Post this week's digest to each channel that asked and has not had it; how many were posted.

    The week is written only after the platform confirmed the post, so a failed upload is tried again on the next
    tick and a restart never skips a week; a repeat is possible only if the process dies between the two.
    """
    now = clock()
    posted = 0
    for channel in settings.due(sender.platform, now):
        # Drawing the chart takes a few hundred milliseconds of CPU: off the event loop, like matching.
        digest = await asyncio.to_thread(
            build_digest, history, channel.platform, channel.channel_id, now, tenant=channel.tenant
        )
        try:
            await sender.send_digest(digest)
        except Exception:
            logger.exception("could not post the weekly digest to %s/%s", channel.platform, channel.channel_id)
            continue
        settings.mark_sent(channel.platform, channel.channel_id, digest.week, tenant=channel.tenant)
        posted += 1
    return posted


async def run_digests(
    history: AlertHistory,
    settings: DigestSettings,
    sender: DigestSender,
    *,
    clock: Callable[[], float] = time.time,
    stop: asyncio.Event | None = None,
    tick_s: float = DIGEST_TICK_S,
) -> None:
    """The bot's digest loop: every `tick_s`, post the digests due, until `stop` is set; never raises."""
    stop = stop or asyncio.Event()
    while not stop.is_set():
        try:
            await send_due_digests(history, settings, sender, clock)
        except Exception:
            logger.exception("weekly digest round failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), tick_s)
