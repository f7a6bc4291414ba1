"""Feed state (SQLite and PostgreSQL): migration, seen keys, atomic alert recording, failures, the feeds file."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.feed_store import (
    FeedsFileError,
    FeedStore,
    NewAlert,
    NewNotice,
    read_feeds_file,
    verdict_from_json,
    verdict_to_json,
)
from bot.models import ArticleRef, FeedRef, Finding, SourceLink, Verdict
from bot.store import MIGRATIONS, Store
from tests.feeds.helpers import FIXTURES

VERDICT = Verdict(
    findings=(
        Finding("west-in-panic", "The West is in panic", 71, "alert", "evidence", "matched", "debunk",
                (SourceLink("Src", "https://src.example/"),)),
    ),
    article=ArticleRef("https://a.example/1", "Title", "Site", "2024-06-19T07:00:00+00:00"),
    feed=FeedRef("https://a.example/rss", "Site"),
)


@pytest.fixture
def store(state_location: Path | str) -> Iterator[Store]:
    s = Store(state_location, clock=lambda: 1000.0)
    s.add_subscription("slack", "C1", "https://a.example/rss")
    yield s
    s.close()


def test_migration_appended_and_tables_exist(store: Store) -> None:
    assert store.schema_version == len(MIGRATIONS) >= 2
    for table in ("feeds", "feed_items", "feed_alerts"):
        assert store.query(f"SELECT COUNT(*) FROM {table}")[0][0] == 0


def test_verdict_json_round_trip() -> None:
    assert verdict_from_json(verdict_to_json(VERDICT)) == VERDICT


def test_record_success_is_one_transaction(store: Store) -> None:
    feeds = FeedStore(store)
    (state,) = feeds.sync_feeds(1000.0)
    assert not state.primed and state.next_poll_at == 0
    key = ("id", "k1")
    # A failure after the items were written (an alert that cannot be stored) leaves nothing behind.
    unstorable = Verdict(findings=(dataclasses.replace(VERDICT.top, evidence=object()),))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        feeds.record_success(
            state.url, now=1000.0, title="T", etag=None, last_modified=None, next_poll_at=1600.0, item_keys=[key],
            alerts=[NewAlert("k1", "slack", "C1", unstorable)],
        )
    assert feeds.seen(state.url, [key]) == set()
    assert not feeds.state(state.url).primed  # type: ignore[union-attr]
    ids = feeds.record_success(
        state.url, now=1000.0, title="T", etag='"e1"', last_modified=None, next_poll_at=1600.0, item_keys=[key],
        alerts=[NewAlert("k1", "slack", "C1", VERDICT), NewAlert("k1", "slack", "C1", VERDICT)],
        notices=[NewNotice("slack", "C1", "digest")],
    )
    assert ids[0] > 0 and ids[1] == 0  # the same item is never alerted twice to a channel
    assert feeds.seen(state.url, [key, ("id", "other")]) == {key}
    assert [(o.kind, o.payload) for o in feeds.pending("slack")][1] == ("notice", "digest")
    after = feeds.state(state.url)
    assert after is not None and after.primed and after.etag == '"e1"' and after.title == "T"


def test_failures_disable_with_notice_and_resubscribing_re_enables(store: Store) -> None:
    feeds = FeedStore(store)
    (state,) = feeds.sync_feeds(1000.0)
    for i in range(3):
        new = feeds.record_failure(state.url, now=1000.0 + i, error="boom", backoff_s=lambda n: 60.0 * n,
                                   max_failures=3, disabled_notice="gone")
    assert new.disabled and new.failures == 3 and new.next_poll_at == 1002.0 + 180.0
    assert [o.payload for o in feeds.pending("slack")] == ["gone"]
    assert feeds.sync_feeds(2000.0)[0].disabled
    store.remove_subscription("slack", "C1", state.url)
    store.clock = lambda: 3000.0
    store.add_subscription("slack", "C1", state.url)
    again = feeds.sync_feeds(3000.0)[0]
    assert not again.disabled and again.failures == 0


def test_prune_keeps_items_still_in_the_feed(store: Store) -> None:
    feeds = FeedStore(store)
    (state,) = feeds.sync_feeds(0.0)
    common = dict(title=None, etag=None, last_modified=None, next_poll_at=0.0)
    feeds.record_success(state.url, now=10.0, item_keys=[("id", "old"), ("id", "kept")], **common)  # type: ignore[arg-type]
    feeds.record_success(state.url, now=20.0, item_keys=[("id", "kept")], **common)  # type: ignore[arg-type]
    assert feeds.prune_items(older_than=100.0) == 1
    assert feeds.seen(state.url, [("id", "old"), ("id", "kept")]) == {("id", "kept")}


def test_feeds_file(tmp_path: Path) -> None:
    entries = read_feeds_file(FIXTURES / "feeds.yaml", default_platform="console")
    assert entries == [
        ("slack", "C123", "https://vesti.example/rss?utm_source=x"),
        ("discord", "998877", "@voenkor_daily"),
        ("console", "console", "https://wire.example/feed.xml"),
    ]
    bad = tmp_path / "bad.yaml"
    bad.write_text("feeds:\n  - &a {url: https://x.example/}\n  - *a\n", encoding="utf-8")
    with pytest.raises(FeedsFileError, match="aliases"):
        read_feeds_file(bad, "console")
    bad.write_text("feeds:\n  - {url: https://x.example/, platform: slack}\n", encoding="utf-8")
    with pytest.raises(FeedsFileError, match=r"feeds\[1\]"):
        read_feeds_file(bad, "console")
