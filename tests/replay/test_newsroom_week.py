"""A newsroom's week replayed from a fixture through the real Slack adapter, core, feed poller and SQLite file:
alerts posted, feedback clicked (with reasons), then `report`, `feedback export` and `eval` on the export, as a
newsroom would run them, each checked to the exact number."""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import json
import os
import struct
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from slack_bolt.async_app import AsyncApp, AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack import ChannelPacer, SlackAlertSender, SlackPoster, build_slack_app
from bot.app import App, build_app
from bot.config import Secret, Settings
from bot.links import canonical_feed_url
from tests.feeds.helpers import Item, rss
from tests.slack.fakeslack import (
    BOT_TOKEN,
    SIGNING_SECRET,
    FakeSlackApi,
    PageServer,
    article_html,
    button_click,
    message_event,
    signed_headers,
    slash_command,
)

FIXTURE = Path(__file__).parent / "fixtures" / "newsroom_week.yaml"
ROOT = Path(__file__).resolve().parents[2]
DESK, FEEDS = "C0DESK", "C0FEEDS"
JSON, FORM = "application/json", "application/x-www-form-urlencoded"


def _at(value: str) -> float:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


class Clock:
    """The week's time, moved by the replay: the store and the poller read it."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Week:
    api: FakeSlackApi
    pages: PageServer
    app: App
    bolt: AsyncApp
    sender: SlackAlertSender
    clock: Clock
    db: Path


@pytest.fixture
async def week(tmp_path: Path) -> AsyncIterator[Week]:
    api = await FakeSlackApi().start()
    pages = await PageServer().start()
    settings = Settings(
        semantic=False,
        db_path=tmp_path / "state.sqlite3",
        allow_nets=(ipaddress.ip_network("127.0.0.0/8"),),
        allowed_ports=(pages.port,),
        slack_bot_token=Secret(BOT_TOKEN),
        slack_signing_secret=Secret(SIGNING_SECRET),
        slack_api_url=api.url,
        feed_read_articles=False,
    )
    app = build_app(settings)
    clock = Clock()
    app.store.clock = clock
    app.feed_poller.clock = clock
    client = AsyncWebClient(token=BOT_TOKEN, base_url=api.url)
    bolt = build_slack_app(app, client=client, process_before_response=True, pace_s=0.0)
    sender = SlackAlertSender(SlackPoster(client, ChannelPacer(0.0)), history=app.core.history)
    try:
        yield Week(api, pages, app, bolt, sender, clock, settings.db_path)
    finally:
        await app.aclose()
        await pages.stop()
        await api.stop()


def _serve(week: Week, fixture: dict[str, Any], *, with_new_items: bool) -> None:
    for path, page in fixture["pages"].items():
        week.pages.pages[path] = article_html(page["title"], page["paragraphs"])
    for path, feed in fixture["feeds"].items():
        if feed is None:
            continue  # never served: the page server answers 404
        texts = (feed["new_items"] if with_new_items else []) + feed["old_items"]
        items = [Item(guid=f"{path}#{hashlib.sha1(t.encode()).hexdigest()[:12]}", title=None, text=t) for t in texts]
        week.pages.pages[path] = rss(items, title=feed["title"])
        week.pages.types[path] = "application/rss+xml"


def _reply_to(week: Week, ts: str) -> dict[str, Any]:
    replies = [m for m in week.api.channel_messages.get(DESK, []) if m.get("thread_ts") == ts]
    assert len(replies) == 1, f"expected one reply in the thread of {ts}, found {len(replies)}"
    return replies[0]


def _feed_alert(week: Week, narrative_id: str) -> dict[str, Any]:
    found = [m for m in week.api.channel_messages.get(FEEDS, []) if f'"{narrative_id}|alert:' in json.dumps(m)]
    assert len(found) == 1, f"expected one feed alert for {narrative_id}"
    return found[0]


def _button(message: dict[str, Any], action_prefix: str) -> dict[str, Any]:
    for block in message.get("blocks", []):
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            if str(element.get("action_id", "")).startswith(action_prefix):
                return dict(element)
    raise AssertionError(f"no {action_prefix} button in {message.get('text')!r}")


async def _dispatch(week: Week, body: str, content_type: str) -> BoltResponse:
    response = await week.bolt.async_dispatch(AsyncBoltRequest(body=body, headers=signed_headers(body, content_type)))
    assert response.status == 200
    return response


async def _click(week: Week, event: dict[str, Any], sent: dict[str, str], n: int) -> None:
    kind, _, name = event["card"].partition(" ")
    channel = DESK if kind == "message" else FEEDS
    card = _reply_to(week, sent[name]) if kind == "message" else _feed_alert(week, name)
    action = f"feedback_{event['click']}"
    button = _button(card, action)
    await _dispatch(week, button_click(action, button["value"], week.api.response_url(f"c{n}"), channel=channel,
                                       user=event["user"]), FORM)
    prompt = week.api.calls_to("chat.postEphemeral")[-1]
    assert prompt.params["user"] == event["user"]
    if event["click"] != "wrong":
        assert "blocks" not in prompt.params  # a ✅ asks nothing more
        return
    # The ❌ is followed by the optional question why; the replay answers it with the fixture's reason.
    blocks = prompt.params["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    reason_button = _button({"blocks": blocks}, f"feedback_reason_{event['reason']}")
    await _dispatch(week, button_click(reason_button["action_id"], reason_button["value"],
                                       week.api.response_url(f"r{n}"), channel=channel, user=event["user"]), FORM)
    (answer,) = [c for c in week.api.calls_to("response_url") if c.params["_name"] == f"r{n}"]
    assert "noted" in answer.params["text"] and answer.params["replace_original"] in (True, "true")


async def _replay(week: Week, fixture: dict[str, Any]) -> dict[str, str]:
    for path in fixture["feeds"]:
        url = canonical_feed_url(week.pages.url(path))
        assert url is not None
        week.app.store.add_subscription("slack", FEEDS, url)
    sent: dict[str, str] = {}
    polls = 0
    for n, event in enumerate(fixture["events"]):
        week.clock.now = _at(event["at"])
        if event.get("poll"):
            _serve(week, fixture, with_new_items=polls > 0)
            polls += 1
            await week.app.feed_poller.poll_once(force=True)
            await week.app.feed_poller.deliver(week.sender)
        elif "message" in event:
            ts = f"{int(week.clock.now)}.000100"
            sent[event["message"]] = ts
            text = event["text"].replace("{page:", "<" + week.pages.url("")).replace("}", ">")
            body = message_event(text, event_id=f"Ev{n}", channel=DESK, ts=ts, user="U0009")
            await _dispatch(week, body, JSON)
        else:
            await _click(week, event, sent, n)
    return sent


def _cli(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NARRATIVE_BOT_DB": str(db), "NARRATIVE_BOT_SEMANTIC": "off"}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, env=env, cwd=db.parent, timeout=120
    )


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


async def test_a_newsroom_week_replayed(week: Week, tmp_path: Path) -> None:
    fixture = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))
    await _replay(week, fixture)

    # Alerts: five replies in the desk's threads (the weather page and the chatter stay unanswered), two feed
    # alerts; the feed's old items and its plain news item are not posted.
    desk_cards = [m for m in week.api.channel_messages.get(DESK, []) if m.get("thread_ts")]
    feed_cards = week.api.channel_messages.get(FEEDS, [])
    assert len(desk_cards) == 5 and len(feed_cards) == 2

    # `/narrative recent 3` in the desk: newest first, with the feedback so far and a link to each card.
    ack = await _dispatch(week, slash_command("recent 3", week.api.response_url("recent"), channel=DESK), FORM)
    lines = json.loads(ack.body)["text"].splitlines()
    assert lines[0] == "Latest 3 alerts here, newest first:" and len(lines) == 4
    assert "`kim-flattery`" in lines[1] and "Loopback Herald (chat)" in lines[1] and "no feedback yet" in lines[1]
    assert "`multipolar-world`" in lines[2] and "0 right, 1 wrong (wrong narrative)" in lines[2]
    assert "`sanctions-illegitimate`" in lines[3] and "0 right, 1 wrong (a fact-check)" in lines[3]
    recent = week.app.core.history.recent("slack", DESK, 3)
    assert [r.narrative_id for r in recent] == ["kim-flattery", "multipolar-world", "sanctions-illegitimate"]
    assert [r.status for r in recent] == ["unreviewed", "disputed", "disputed"]
    assert all(r.permalink and r.permalink.startswith("https://test.slack.com/archives/C0DESK/p") for r in recent)
    assert [r.reason for r in recent] == [None, "wrong-narrative", "fact-check"]

    chart = tmp_path / "week.png"
    report = _cli(week.db, "report", "--since", "2026-11-23", "--json", "--chart", str(chart))
    assert report.returncode == 0, report.stderr
    data = json.loads(report.stdout)
    assert data["alerts"] == 7
    assert [(r["narrative"], r["alerts"]) for r in data["by_narrative"]] == [
        ("asian-nato", 1), ("dprk-arms-turn-the-war", 1), ("kim-flattery", 1), ("multipolar-world", 1),
        ("sanctions-illegitimate", 1), ("troops-denial", 1), ("west-in-panic", 1),
    ]
    assert [(r["site"], r["alerts"]) for r in data["by_site"]] == [
        ("(chat text)", 3), ("Loopback Herald", 2), ("Wire Digest", 2),
    ]
    assert [(r["channel"], r["alerts"]) for r in data["by_channel"]] == [("slack:C0DESK", 5), ("slack:C0FEEDS", 2)]
    assert [(r["day"], r["alerts"]) for r in data["by_day"]] == [
        ("2026-11-23", 2), ("2026-11-25", 3), ("2026-11-26", 1), ("2026-11-27", 1),
    ]
    assert data["feedback"] == [
        {"narrative": "asian-nato", "correct": 1, "wrong": 1, "share_wrong": 0.5, "reasons": {"not-propaganda": 1}},
        {"narrative": "multipolar-world", "correct": 0, "wrong": 1, "share_wrong": 1.0,
         "reasons": {"wrong-narrative": 1}},
        {"narrative": "sanctions-illegitimate", "correct": 0, "wrong": 1, "share_wrong": 1.0,
         "reasons": {"fact-check": 1}},
        {"narrative": "troops-denial", "correct": 1, "wrong": 0, "share_wrong": 0.0, "reasons": {}},
        {"narrative": "west-in-panic", "correct": 2, "wrong": 0, "share_wrong": 0.0, "reasons": {}},
    ]
    (failing,) = data["failing_feeds"]
    assert failing["url"].endswith("/feeds/gone.xml") and failing["failures"] == 2 and not failing["disabled"]
    assert "404" in (failing["last_error"] or "")
    assert _png_size(chart.read_bytes()) == (1200, 600)

    export_path = tmp_path / "feedback.yaml"
    export = _cli(week.db, "feedback", "export", "--out", str(export_path))
    assert export.returncode == 0, export.stderr
    assert "2 confirmed and 3 disputed" in export.stderr
    exported = yaml.safe_load(export_path.read_text(encoding="utf-8"))["narratives"]
    assert {n: sorted(k for k in section if k != "title") for n, section in exported.items()} == {
        "asian-nato": ["counter_examples"],
        "multipolar-world": ["non_examples"],
        "sanctions-illegitimate": ["counter_examples"],
        "troops-denial": ["examples"],
        "west-in-panic": ["examples"],
    }
    (panic,) = exported["west-in-panic"]["examples"]
    assert panic["lang"] == "ru" and panic["source"].endswith("/articles/panic")
    assert panic["text"].startswith("Вашингтон охватила настоящая истерика")
    assert panic["feedback"] == {"right": 2, "wrong": 0}
    (nato,) = exported["asian-nato"]["counter_examples"]["en"]
    assert nato["reason"] == "not-propaganda" and nato["source"].startswith("http://127.0.0.1:")
    assert exported["multipolar-world"]["non_examples"][0]["true_narrative"] is None

    evaluation = _cli(week.db, "eval", str(export_path), "--json", "--lexical")
    assert evaluation.returncode == 0, evaluation.stderr
    assert "1 wrong-narrative entry without `true_narrative` not scored" in evaluation.stderr
    overall = json.loads(evaluation.stdout)["lexical"]["overall"]
    # The two confirmed matches alert again (hits); the fact-check is a critical text that alerts; the match
    # disputed as not propaganda is a false alarm: the bot measured on its own week.
    assert {k: overall[k] for k in ("hits", "wrong", "misses", "false_alarms", "propaganda", "neutral_unrelated",
                                    "critical", "critical_alerts")} == {
        "hits": 2, "wrong": 0, "misses": 0, "false_alarms": 1, "propaganda": 2, "neutral_unrelated": 1,
        "critical": 1, "critical_alerts": 1,
    }
    assert overall["precision"] == 0.6667 and overall["recall"] == 1.0 and overall["f1"] == 0.8
