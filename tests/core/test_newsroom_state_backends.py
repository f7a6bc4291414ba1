"""The newsroom's state (channel settings, alert history, feedback reasons, digests, reports) on both backends:
the same calls give the same answers on a SQLite file and on a real PostgreSQL database."""

from __future__ import annotations

from pathlib import Path

from bot.channel_settings import ChannelSettings
from bot.config import Settings
from bot.digest import DigestSettings, iso_week
from bot.history import AlertHistory, PostedCard
from bot.models import ArticleRef, Finding, Verdict
from bot.report import build_report
from bot.store import Store

IDS = ("troops-denial", "west-in-panic")


def _verdict(narrative_id: str, site: str) -> Verdict:
    finding = Finding(narrative_id, narrative_id.title(), 70, "alert", f"evidence of {narrative_id}", "", "debunk")
    return Verdict((finding,), article=ArticleRef(url=f"https://{site}/a", site=site), excerpt="text")


def test_settings_history_feedback_digest_and_report(state_location: str | Path) -> None:
    now = [1_764_000_000.0]
    store = Store(state_location, clock=lambda: now[0])
    try:
        channels = ChannelSettings(store, Settings(semantic=False), lambda: IDS)
        channels.change("slack", "C1", ["threshold", "70"], "U1")
        channels.change("slack", "C1", ["mute", "west-in-panic"], "U1")
        channels.change("slack", "C1", ["threshold", "80"], "U1")  # an upsert, not a second row
        policy = channels.policy("slack", "C1")
        assert policy.threshold == 80 and "west-in-panic" in policy.muted
        assert channels.policy("slack", "C2").threshold != 80  # another channel keeps the defaults

        history = AlertHistory(store)
        assert history.record(PostedCard("slack", "C1", "m1", [_verdict("troops-denial", "wire.example")], "feed"))
        assert history.record(PostedCard("slack", "C1", "m1", [_verdict("troops-denial", "wire.example")], "feed")) == 0
        history.record(PostedCard("slack", "C1", "m2", [_verdict("west-in-panic", "tass.example")], "message"))
        store.record_feedback("slack", "C1", "m2", "west-in-panic", "U2", "wrong")
        assert history.set_reason("slack", "m2", "west-in-panic", "U2", "fact-check")
        recent = history.recent("slack", "C1")
        assert [r.message_ref for r in recent] == ["m2", "m1"]
        assert (recent[0].wrong, recent[0].reason, recent[0].status) == (1, "fact-check", "disputed")

        digests = DigestSettings(store, channels)
        digests.set("slack", "C1", True, "U1")
        week = iso_week(now[0])
        assert [c.channel_id for c in digests.due("slack", now[0])] == ["C1"]
        digests.mark_sent("slack", "C1", week)
        digests.mark_sent("slack", "C1", week)  # a repeat is harmless
        assert digests.due("slack", now[0]) == []
        # A week whose digest keeps failing is given up; the next week counts from one again.
        digests.set("slack", "C2", True, "U1")
        first = digests.record_failure("slack", "C2", week, now[0], max_attempts=2)
        assert (first.attempts, first.gave_up) == (1, False)
        assert [c.channel_id for c in digests.due("slack", now[0])] == ["C2"]
        second = digests.record_failure("slack", "C2", week, now[0] + 600, max_attempts=2)
        assert (second.attempts, second.first_failed_at, second.gave_up) == (2, now[0], True)
        assert digests.due("slack", now[0]) == []
        next_week = now[0] + 7 * 86400
        assert {c.channel_id for c in digests.due("slack", next_week)} == {"C1", "C2"}
        again = digests.record_failure("slack", "C2", iso_week(next_week), next_week, max_attempts=2)
        assert (again.attempts, again.first_failed_at, again.gave_up) == (1, next_week, False)

        report = build_report(store, since=None, until=now[0] + 1)
        assert report.total == 2
        assert dict(report.by_site) == {"wire.example": 1, "tass.example": 1}
        assert report.by_channel == [("slack:C1", 2)]
    finally:
        store.close()
