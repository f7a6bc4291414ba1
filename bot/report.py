"""`narrative-bot report`: alerts per narrative, site, channel and day; feedback per narrative; failing feeds."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bot.history import REASONS, AlertHistory, AlertRecord, parse_channel
from bot.store import Store

_SINCE = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$", re.IGNORECASE)
_UNIT_S = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


class SinceError(ValueError):
    """A --since value that is neither a duration (7d, 12h, 2w, 30m) nor a date (2026-11-01), nor `all`."""


def parse_since(value: str, now: float) -> float | None:
    """The start of a period: `7d`, `12h`, `2w`, `30m` back from now, a UTC date or time, or None for `all`."""
    if value.strip().lower() == "all":
        return None
    found = _SINCE.match(value)
    if found:
        return now - int(found.group(1)) * _UNIT_S[found.group(2).lower()]
    try:
        when = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise SinceError(
            f"--since {value!r}: expected a duration (7d, 12h, 2w, 30m), a date (2026-11-01) or `all`"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.timestamp()


@dataclass(frozen=True)
class NarrativeFeedback:
    narrative_id: str
    correct: int
    wrong: int
    reasons: dict[str, int]

    @property
    def share_wrong(self) -> float:
        total = self.correct + self.wrong
        return self.wrong / total if total else 0.0


@dataclass(frozen=True)
class FailingFeed:
    url: str
    failures: int
    last_error: str | None
    disabled: bool


@dataclass(frozen=True)
class Report:
    since: float | None
    until: float
    channel: str | None
    total: int
    by_narrative: list[tuple[str, str, int]]  # (id, title, alerts), most first
    by_site: list[tuple[str, int]]
    by_channel: list[tuple[str, int]]  # ("slack:C0123", alerts)
    by_day: list[tuple[str, int]]  # ("2026-11-30", alerts), oldest first
    feedback: list[NarrativeFeedback] = field(default_factory=list)
    failing_feeds: list[FailingFeed] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "since": _iso(self.since) if self.since is not None else None,
            "until": _iso(self.until),
            "channel": self.channel,
            "alerts": self.total,
            "by_narrative": [{"narrative": n, "title": t, "alerts": c} for n, t, c in self.by_narrative],
            "by_site": [{"site": s, "alerts": c} for s, c in self.by_site],
            "by_channel": [{"channel": ch, "alerts": c} for ch, c in self.by_channel],
            "by_day": [{"day": d, "alerts": c} for d, c in self.by_day],
            "feedback": [
                {
                    "narrative": f.narrative_id,
                    "correct": f.correct,
                    "wrong": f.wrong,
                    "share_wrong": round(f.share_wrong, 4),
                    "reasons": f.reasons,
                }
                for f in self.feedback
            ],
            "failing_feeds": [
                {"url": f.url, "failures": f.failures, "last_error": f.last_error, "disabled": f.disabled}
                for f in self.failing_feeds
            ],
        }


def _iso(when: float) -> str:
    return dt.datetime.fromtimestamp(when, dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _day(when: float) -> str:
    return dt.datetime.fromtimestamp(when, dt.UTC).date().isoformat()


def _ranked(counter: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))


def summarise(
    alerts: list[AlertRecord], failing: list[FailingFeed], *, since: float | None, until: float, channel: str | None
) -> Report:
    narratives = Counter(a.narrative_id for a in alerts)
    titles = {a.narrative_id: a.title for a in alerts}
    feedback: list[NarrativeFeedback] = []
    for narrative_id in sorted(narratives):
        mine = [a for a in alerts if a.narrative_id == narrative_id]
        correct = sum(a.correct for a in mine)
        wrong = sum(a.wrong for a in mine)
        if not correct and not wrong:
            continue
        reasons = Counter(r for a in mine for r in a.reasons)
        ordered = {r: reasons[r] for r in REASONS if r in reasons}
        feedback.append(NarrativeFeedback(narrative_id, correct, wrong, ordered))
    return Report(
        since=since,
        until=until,
        channel=channel,
        total=len(alerts),
        by_narrative=[(n, titles[n], c) for n, c in _ranked(narratives)],
        by_site=_ranked(Counter(a.site or "?" for a in alerts)),
        by_channel=_ranked(Counter(f"{a.platform}:{a.channel_id}" for a in alerts)),
        by_day=sorted(Counter(_day(a.created_at) for a in alerts).items()),
        feedback=feedback,
        failing_feeds=failing,
    )


def failing_feeds(store: Store, channel: str | None = None) -> list[FailingFeed]:
    """Feeds that failed their last poll or were disabled, the ones a channel watches when one is named."""
    sql = "SELECT DISTINCT f.url, f.failures, f.last_error, f.disabled_at FROM feeds f"
    params: list[object] = []
    if channel is not None:
        platform, channel_id = parse_channel(channel)
        sql += " JOIN subscriptions s ON s.feed_url = f.url AND s.channel_id = ?"
        params.append(channel_id)
        if platform is not None:
            sql += " AND s.platform = ?"
            params.append(platform)
    sql += " WHERE f.failures > 0 OR f.disabled_at IS NOT NULL ORDER BY f.failures DESC, f.url"
    return [
        FailingFeed(r["url"], int(r["failures"]), r["last_error"], r["disabled_at"] is not None)
        for r in store.query(sql, tuple(params))
    ]


def build_report(store: Store, *, since: float | None, until: float, channel: str | None = None) -> Report:
    alerts = [a for a in AlertHistory(store).alerts(since=since, channel=channel) if a.created_at <= until]
    return summarise(alerts, failing_feeds(store, channel), since=since, until=until, channel=channel)


def format_report(report: Report) -> str:
    start = _iso(report.since) if report.since is not None else "the beginning"
    where = report.channel or "all channels"
    lines = [f"Alerts from {start} to {_iso(report.until)}, {where}: {report.total}"]

    def table(heading: str, rows: list[tuple[str, int]]) -> None:
        lines.append("")
        lines.append(heading)
        if not rows:
            lines.append("  (none)")
        width = max((len(name) for name, _ in rows), default=0)
        lines.extend(f"  {name:<{width}}  {count:>4}" for name, count in rows)

    table("Per narrative:", [(n, c) for n, _, c in report.by_narrative])
    table("Per source site:", report.by_site)
    table("Per channel:", report.by_channel)
    table("Per day (UTC):", report.by_day)
    lines.append("")
    lines.append("Feedback on these alerts (clicks):")
    if not report.feedback:
        lines.append("  (none)")
    width = max((len(f.narrative_id) for f in report.feedback), default=0)
    for item in report.feedback:
        reasons = ", ".join(f"{REASONS[r].lower()} {n}" for r, n in item.reasons.items())
        lines.append(
            f"  {item.narrative_id:<{width}}  right {item.correct:>3}  wrong {item.wrong:>3}  "
            f"{item.share_wrong:>4.0%} wrong" + (f"  ({reasons})" if reasons else "")
        )
    lines.append("")
    lines.append("Failing feeds:")
    if not report.failing_feeds:
        lines.append("  (none)")
    for feed in report.failing_feeds:
        state = "disabled" if feed.disabled else f"{feed.failures} failure{'s' if feed.failures != 1 else ''} in a row"
        lines.append(f"  {feed.url} — {state}" + (f": {feed.last_error}" if feed.last_error else ""))
    return "\n".join(lines)
