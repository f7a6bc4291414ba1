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
from bot.read_reasons import plural
from bot.render.i18n import ALERTS, word
from bot.store import Store
from matchers import Lang
from matchers.library import as_language

logger = logging.getLogger(__name__)

WEEK_S = 7 * 86400
DIGEST_TICK_S = 600.0  # how often the run loop looks for digests due; a new week's digest goes out within that
CHART_NAME = "narratives-by-week.png"
DIGEST_WEEKS = 8  # weeks the digest chart shows
# A digest whose upload keeps failing (the bot removed from the channel, a revoked scope, an outage) is given up for
# its week after this many attempts, or this long after the first failure, whichever comes first: about two hours
# of rounds, long enough for someone to invite the bot back, and never a week of errors. Next week's is tried anew.
DIGEST_MAX_ATTEMPTS = 12
DIGEST_GIVE_UP_AFTER_S = 86400.0


def iso_week(when: float) -> str:
    """The ISO week a time falls in, as `2026-W49` (UTC): a digest is posted once per such week."""
    year, week, _ = dt.datetime.fromtimestamp(when, dt.UTC).isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class DigestFailure:
    """A failed attempt at a week's digest, as counted in the state: the attempts so far that week, and whether
    this one made the channel give the week up."""

    attempts: int
    first_failed_at: float
    gave_up: bool


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

    def language(self, platform: str, channel_id: str, *, tenant: str = "") -> Lang:
        """The language a channel's digest is written in: its language setting, else English (a digest answers
        no words of anyone's)."""
        return as_language(self.channels.reply_language(platform, channel_id, tenant=tenant) or "") or "en"

    def due(self, platform: str, now: float) -> list[DigestChannel]:
        """The platform's channels with the digest on that have not had this week's (nor given it up)."""
        week = iso_week(now)
        rows = self.store.query(
            "SELECT tenant, channel_id, last_week, failed_week, gave_up FROM digest_channels WHERE platform = ?",
            (platform,),
        )
        last = {(r["tenant"], r["channel_id"]): r["last_week"] for r in rows}
        given_up = {(r["tenant"], r["channel_id"]) for r in rows if r["failed_week"] == week and r["gave_up"]}
        return [
            DigestChannel(platform, channel_id, last.get((tenant, channel_id)), tenant)
            for _, tenant, channel_id in self.channels.digest_channels(platform)
            if last.get((tenant, channel_id)) != week and (tenant, channel_id) not in given_up
        ]

    def record_failure(
        self,
        platform: str,
        channel_id: str,
        week: str,
        now: float,
        *,
        tenant: str = "",
        max_attempts: int = DIGEST_MAX_ATTEMPTS,
        give_up_after_s: float = DIGEST_GIVE_UP_AFTER_S,
    ) -> DigestFailure:
        """Count a failed attempt at `week`'s digest (the count starts again with a new week); the week is given
        up once the attempts reach `max_attempts` or `give_up_after_s` passed since the first failure."""
        with self.store.transaction() as db:
            db.execute(
                """INSERT INTO digest_channels (platform, tenant, channel_id, enabled, updated_at)
                   VALUES (?, ?, ?, 1, ?) ON CONFLICT (platform, tenant, channel_id) DO NOTHING""",
                (platform, tenant, channel_id, now),
            )
            db.execute(
                """UPDATE digest_channels
                   SET failures = CASE WHEN failed_week = ? THEN failures + 1 ELSE 1 END,
                       first_failed_at = CASE WHEN failed_week = ? THEN first_failed_at ELSE ? END,
                       gave_up = 0, failed_week = ?, updated_at = ?
                   WHERE platform = ? AND tenant = ? AND channel_id = ?""",
                (week, week, now, week, now, platform, tenant, channel_id),
            )
            row = db.execute(
                """SELECT failures, first_failed_at FROM digest_channels
                   WHERE platform = ? AND tenant = ? AND channel_id = ?""",
                (platform, tenant, channel_id),
            ).fetchone()
            attempts, first = int(row[0]), float(row[1])
            gave_up = attempts >= max_attempts or now - first >= give_up_after_s
            if gave_up:
                db.execute(
                    "UPDATE digest_channels SET gave_up = 1 WHERE platform = ? AND tenant = ? AND channel_id = ?",
                    (platform, tenant, channel_id),
                )
        return DigestFailure(attempts, first, gave_up)

    def mark_sent(self, platform: str, channel_id: str, week: str, *, tenant: str = "") -> None:
        with self.store.transaction() as db:
            db.execute(
                """INSERT INTO digest_channels (platform, tenant, channel_id, enabled, last_week, updated_at)
                   VALUES (?, ?, ?, 1, ?, ?)
                   ON CONFLICT (platform, tenant, channel_id) DO UPDATE SET last_week = excluded.last_week,
                       updated_at = excluded.updated_at, failed_week = NULL, failures = 0, first_failed_at = NULL,
                       gave_up = 0""",
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
    lang: Lang = "en"

    @property
    def upload_title(self) -> str:
        """The chart file's title where the platform shows one (Slack), in the digest's language."""
        return word("digest_upload_title", self.lang, week=self.week)

    @property
    def chart_alt(self) -> str:
        """The chart's alternative text for screen readers, in the digest's language."""
        return word("digest_chart_alt", self.lang)


class DigestSender(Protocol):
    """Posts a digest with its chart through the platform's file upload; raises on failure (retried next tick)."""

    platform: str

    async def send_digest(self, digest: Digest) -> None: ...


def digest_text(
    history: AlertHistory, platform: str, channel_id: str, now: float, *, tenant: str = "", lang: Lang = "en"
) -> str:
    """The week in a few lines, in `lang`: how many alerts, the narratives seen most, what feedback said."""
    alerts = history.alerts(since=now - WEEK_S, channel=f"{platform}:{channel_id}", tenant=tenant)
    if not alerts:
        return word("digest_empty", lang)
    by_narrative: dict[str, list[int]] = {}
    titles: dict[str, str] = {}
    for alert in alerts:
        by_narrative.setdefault(alert.narrative_id, []).append(alert.score)
        titles[alert.narrative_id] = alert.title or alert.narrative_id
    ranked = sorted(by_narrative.items(), key=lambda item: (-len(item[1]), item[0]))
    count = len(alerts)
    lines = [word("digest_header", lang, count=count, alerts=plural(count, lang, ALERTS))]
    for narrative_id, scores in ranked[:5]:
        title = titles[narrative_id]
        lines.append(word("digest_line", lang, title=title, id=narrative_id, count=len(scores), score=max(scores)))
    right = sum(a.correct for a in alerts)
    wrong = sum(a.wrong for a in alerts)
    if right or wrong:
        lines.append(word("digest_feedback", lang, right=right, wrong=wrong))
    lines.append(word("digest_footer", lang))
    return "\n".join(lines)


def build_digest(
    history: AlertHistory, platform: str, channel_id: str, now: float, *, tenant: str = "", lang: Lang = "en"
) -> Digest:
    from bot.chart import weekly_chart_png, weekly_counts

    alerts = history.alerts(since=now - DIGEST_WEEKS * WEEK_S, channel=f"{platform}:{channel_id}", tenant=tenant)
    png = weekly_chart_png(weekly_counts(alerts, now=now, weeks=DIGEST_WEEKS), lang)
    text = digest_text(history, platform, channel_id, now, tenant=tenant, lang=lang)
    return Digest(platform, channel_id, iso_week(now), text, png, tenant=tenant, lang=lang)


def error_brief(exc: BaseException) -> str:
    """An error named for a log line that must not carry secrets: the platform's error code when its answer has
    one (Slack's "not_in_channel"), else the exception's type (its text may hold a signed upload URL)."""
    response = getattr(exc, "response", None)
    code = response.get("error") if callable(getattr(response, "get", None)) else None  # type: ignore[union-attr]
    name = type(exc).__name__
    return f"{name}: {code}" if isinstance(code, str) and code.isascii() and len(code) <= 100 else name


async def send_due_digests(
    history: AlertHistory, settings: DigestSettings, sender: DigestSender, clock: Callable[[], float]
) -> int:
    """Post this week's digest to each channel that asked and has not had it; how many were posted.

    The week is written only after the platform confirmed the post, so a failed upload is tried again on the next
    tick and a restart never skips a week; a repeat is possible only if the process dies between the two. A week
    whose digest keeps failing is given up (see DIGEST_MAX_ATTEMPTS), with one warning; the next week tries again.
    """
    now = clock()
    posted = 0
    for channel in settings.due(sender.platform, now):
        lang = settings.language(channel.platform, channel.channel_id, tenant=channel.tenant)
        # Drawing the chart takes a few hundred milliseconds of CPU: off the event loop, like matching.
        digest = await asyncio.to_thread(
            build_digest, history, channel.platform, channel.channel_id, now, tenant=channel.tenant, lang=lang
        )
        try:
            await sender.send_digest(digest)
        except Exception as exc:
            failure = settings.record_failure(
                channel.platform, channel.channel_id, digest.week, now, tenant=channel.tenant
            )
            where = f"{channel.platform}/{channel.channel_id}"
            if failure.gave_up:
                hours = (now - failure.first_failed_at) / 3600
                logger.warning(
                    "gave up the weekly digest %s for %s after %d failed attempt%s over %.1f h (last: %s); it is "
                    "not tried again this week, next week's digest is",
                    digest.week, where, failure.attempts, "" if failure.attempts == 1 else "s", hours,
                    error_brief(exc),
                )  # fmt: skip
            else:
                logger.exception(
                    "could not post the weekly digest to %s (attempt %d of %d this week)",
                    where, failure.attempts, DIGEST_MAX_ATTEMPTS,
                )  # fmt: skip
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
