"""Tenant keys in the store, on both backends: the same channel id in two tenants is two channels; an older
database keeps its rows (tenant ''); a Discord server adopts the older rows of its channels."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.feed_store import FeedsFileError, FeedStore, NewAlert, load_default_feeds
from bot.store import MIGRATIONS, Store
from bot.tenants import adopt_channels
from tests.feeds.test_feed_store import VERDICT

URL = "https://wire.example/rss"


def test_the_same_channel_id_in_two_tenants_is_two_channels(state_location: Path | str) -> None:
    store = Store(state_location)
    try:
        assert store.add_subscription("slack", "C1", URL, tenant="TA")
        assert store.add_subscription("slack", "C1", URL, tenant="TB")
        assert not store.add_subscription("slack", "C1", URL, tenant="TA")  # already there
        assert store.remove_subscription("slack", "C1", URL, tenant="TB") == 1
        assert [(s.tenant, s.channel_id) for s in store.subscriptions("slack")] == [("TA", "C1")]
        store.record_feedback("slack", "C1", "alert:1", "n1", "U1", "correct", tenant="TA")
        store.record_feedback("slack", "C1", "alert:1", "n1", "U1", "wrong", tenant="TB")
        assert [f.value for f in store.feedback(tenant="TA")] == ["correct"]
        assert [f.value for f in store.feedback(tenant="TB")] == ["wrong"]
        store.add_subscription("slack", "C1", URL, tenant="TB")
        feeds = FeedStore(store)
        feeds.sync_feeds(0.0)
        ids = feeds.record_success(
            URL, now=1.0, title=None, etag=None, last_modified=None, next_poll_at=2.0, item_keys=[],
            alerts=[NewAlert("k1", "slack", "C1", VERDICT, "TA"), NewAlert("k1", "slack", "C1", VERDICT, "TB")],
        )
        assert all(ids) and len(set(ids)) == 2  # one pending alert per tenant, though the channel id is one
        assert sorted(o.tenant for o in feeds.pending("slack")) == ["TA", "TB"]
    finally:
        store.close()


def test_a_database_from_before_tenants_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    for version, script in enumerate(MIGRATIONS[:6], 1):
        assert isinstance(script, str)
        db.executescript(script)
        db.execute(f"PRAGMA user_version = {version}")
    db.execute("INSERT INTO subscriptions (platform, channel_id, feed_url, created_at) VALUES ('slack', 'C1', ?, 1)",
               (URL,))
    db.execute("INSERT INTO channel_settings VALUES ('slack', 'C1', 'links', 'off', 1, 'U1')")
    db.execute(
        """INSERT INTO alert_history (platform, workspace_id, channel_id, message_ref, origin, narrative_id, score,
               created_at) VALUES ('slack', 'T0001', 'C1', 'alert:5', 'feed', 'n1', 80, 1)"""
    )
    db.commit()
    db.close()
    store = Store(path)
    try:
        assert store.schema_version == len(MIGRATIONS)
        assert [(s.tenant, s.feed_url) for s in store.subscriptions()] == [("", URL)]
        rows = store.query("SELECT tenant, workspace_id FROM alert_history")
        assert [tuple(r) for r in rows] == [("", "T0001")]  # the one install's row, its team kept
        assert [tuple(r) for r in store.query("SELECT tenant, value FROM channel_settings")] == [("", "off")]
        assert store.add_subscription("slack", "C1", URL, tenant="T0002")  # the new key takes a second tenant
    finally:
        store.close()


def test_a_server_adopts_the_older_rows_of_its_channels(state_location: Path | str) -> None:
    store = Store(state_location)
    try:
        store.add_subscription("discord", "100", URL)
        store.add_subscription("discord", "200", URL)  # a channel of another server
        store.add_subscription("discord", "300", URL)
        store.add_subscription("discord", "300", URL, tenant="G1")  # already the server's: the older row stays
        assert adopt_channels(store, "discord", "G1", ["100", "300"]) == 1
        rows = {(s.channel_id, s.tenant) for s in store.subscriptions("discord")}
        assert rows == {("100", "G1"), ("200", ""), ("300", ""), ("300", "G1")}
        assert adopt_channels(store, "discord", "G1", ["100", "300"]) == 0
        assert adopt_channels(store, "discord", "", ["200"]) == 0  # no tenant to give
    finally:
        store.close()


def test_a_feeds_file_names_the_workspace_of_a_channel(state_location: Path | str, tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(
        "feeds:\n"
        f"  - {{url: {URL}, platform: slack, channel: C1, workspace: TA}}\n"
        f"  - {{url: {URL}, platform: slack, channel: C1, workspace: TB}}\n"
        f"  - {{url: {URL}, platform: slack, channel: C2}}\n",
        encoding="utf-8",
    )
    store = Store(state_location)
    try:
        assert load_default_feeds(store, path, "slack") == 3
        assert load_default_feeds(store, path, "slack") == 0  # every start loads it again: nothing new
        assert sorted((s.tenant, s.channel_id) for s in store.subscriptions()) == [
            ("", "C2"), ("TA", "C1"), ("TB", "C1")
        ]
        path.write_text(
            f"feeds:\n  - {{url: {URL}, platform: slack, channel: C1, workspace: [TA]}}\n", encoding="utf-8"
        )
        with pytest.raises(FeedsFileError, match=r"feeds\[1\].*`workspace` must be a string"):
            load_default_feeds(store, path, "slack")
    finally:
        store.close()
