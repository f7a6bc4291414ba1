"""The weekly digest on Slack: turned on by command, posted by the run loop through the external file upload, once
a week per channel, restarts included."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import logging
import time
from pathlib import Path

import pytest
from PIL import Image
from slack_bolt.async_app import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack import ChannelPacer, SlackAlertSender, SlackPoster, _start_background
from bot.app import build_app
from bot.digest import DIGEST_GIVE_UP_AFTER_S, DIGEST_MAX_ATTEMPTS, iso_week, run_digests, send_due_digests
from tests.slack.conftest import SlackRig, narrative, rig_settings
from tests.slack.fakeslack import BOT_TOKEN, FakeSlackApi, PageServer, message_event, signed_headers, slash_command

FORM = "application/x-www-form-urlencoded"


async def test_digest_is_uploaded_with_its_chart_once_a_week(
    rig: SlackRig, tmp_path: Path, api: FakeSlackApi, pages: PageServer
) -> None:
    api.users["U0001"] = {"is_admin": True}  # a digest posts on its own: only admins turn it on
    body = slash_command("digest on", api.response_url("d1"))
    ack = await rig.bolt.async_dispatch(AsyncBoltRequest(body=body, headers=signed_headers(body, FORM)))
    assert json.loads(ack.body)["text"].startswith("Weekly digest on")
    assert json.loads(ack.body)["response_type"] == "in_channel"  # the channel sees who turned it on
    event = message_event(narrative().examples[0], event_id="EvD1", ts="1712345678.000100")
    await rig.bolt.async_dispatch(AsyncBoltRequest(body=event, headers=signed_headers(event, "application/json")))
    (record,) = rig.app.core.history.recent("slack", "C0001")
    assert record.message_ref == "1712345678.000100"  # what the card's feedback buttons name
    assert record.message_id and record.message_id != record.message_ref  # the reply's own ts
    assert record.permalink == f"https://test.slack.com/archives/C0001/p{record.message_id.replace('.', '')}"

    sender = SlackAlertSender(SlackPoster(rig.client, ChannelPacer(0.0)), history=rig.app.core.history)
    now = time.time()
    stop = asyncio.Event()
    loop = asyncio.create_task(
        run_digests(rig.app.core.history, rig.app.core.digests, sender, clock=lambda: now, stop=stop, tick_s=0.05)
    )
    try:
        await api.wait_for("files.completeUploadExternal")
        await asyncio.sleep(0.3)  # several more ticks of the loop: none may post again this week
    finally:
        stop.set()
        await loop
    (asked,) = api.calls_to("files.getUploadURLExternal")
    (complete,) = api.calls_to("files.completeUploadExternal")
    (shared,) = api.shared_files
    assert asked.params["filename"] == "narratives-by-week.png" and int(asked.params["length"]) == len(shared["data"])
    assert asked.params["alt_txt"] == "Bar chart of known narratives flagged per week"
    assert shared["title"] == f"Known narratives per week ({iso_week(now)})"
    chart = Image.open(io.BytesIO(shared["data"]))
    assert chart.format == "PNG" and chart.size == (1200, 600)
    assert shared["channel"] == "C0001" and complete.params["channel_id"] == "C0001"
    comment = shared["comment"]
    assert comment.startswith("Weekly narrative digest: 1 alert in the last 7 days.")
    assert narrative().id in comment
    assert api.channel_messages["C0001"][-1]["files"][0]["name"] == "narratives-by-week.png"

    # A restart: a new process on the same state file knows this week's digest went out.
    await rig.app.aclose()
    again = build_app(rig_settings(tmp_path, api, pages))
    try:
        poster = SlackPoster(AsyncWebClient(token=BOT_TOKEN, base_url=api.url), ChannelPacer(0.0))
        restarted = SlackAlertSender(poster, history=again.core.history)
        core = again.core
        assert await send_due_digests(core.history, core.digests, restarted, lambda: now + 60) == 0
        next_week = now + 7 * 86400
        assert iso_week(next_week) != iso_week(now)
        assert await send_due_digests(core.history, core.digests, restarted, lambda: next_week) == 1
        assert len(api.shared_files) == 2
        assert api.shared_files[1]["comment"].startswith("Weekly narrative digest: no known narrative was flagged")
    finally:
        await again.aclose()


async def test_a_failed_upload_is_tried_again_at_the_next_round(rig: SlackRig, api: FakeSlackApi) -> None:
    rig.app.core.digests.set("slack", "C0001", True)
    sender = SlackAlertSender(SlackPoster(rig.client, ChannelPacer(0.0)), history=rig.app.core.history)
    core = rig.app.core
    api.errors["files.completeUploadExternal"] = "not_in_channel"
    assert await send_due_digests(core.history, core.digests, sender, time.time) == 0
    assert [c.channel_id for c in core.digests.due("slack", time.time())] == ["C0001"]  # still due
    del api.errors["files.completeUploadExternal"]
    assert await send_due_digests(core.history, core.digests, sender, time.time) == 1
    assert core.digests.due("slack", time.time()) == []


async def test_the_digest_file_is_titled_in_the_channels_language(rig: SlackRig, api: FakeSlackApi) -> None:
    core = rig.app.core
    core.channels.change("slack", "C0001", ["language", "uk"], "U0001")
    core.digests.set("slack", "C0001", True)
    sender = SlackAlertSender(SlackPoster(rig.client, ChannelPacer(0.0)), history=core.history)
    now = time.time()
    assert await send_due_digests(core.history, core.digests, sender, lambda: now) == 1
    (asked,) = api.calls_to("files.getUploadURLExternal")
    (shared,) = api.shared_files
    assert asked.params["alt_txt"] == "Стовпчикова діаграма відомих наративів, виявлених за тижнями"
    assert shared["title"] == f"Відомі наративи за тижнями ({iso_week(now)})"
    assert shared["comment"].startswith("Щотижневий підсумок наративів: ")


async def test_the_run_loop_starts_the_digest_and_posts_what_is_due(rig: SlackRig, api: FakeSlackApi) -> None:
    rig.app.core.digests.set("slack", "C0001", True)
    tasks = _start_background(rig.app, SlackPoster(rig.client, ChannelPacer(0.0)))
    try:
        assert "slack-weekly-digest" in {t.get_name() for t in tasks}
        await api.wait_for("files.completeUploadExternal")  # the first round runs at start
        for _ in range(100):  # the week is written once Slack's answer is in
            if not rig.app.core.digests.due("slack", time.time()):
                break
            await asyncio.sleep(0.02)
        assert rig.app.core.digests.due("slack", time.time()) == []
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


# -- a digest that keeps failing ----------------------------------------------------------------------------------

# A Monday morning (UTC): a day and more of retries stay within the same ISO week.
MONDAY = dt.datetime(2026, 11, 30, 1, 0, tzinfo=dt.UTC).timestamp()
ROUND_S = 600.0  # the run loop's tick


async def test_a_digest_that_keeps_failing_is_given_up_for_its_week(
    rig: SlackRig, tmp_path: Path, api: FakeSlackApi, pages: PageServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.digest")
    rig.app.core.digests.set("slack", "C0001", True)
    api.errors["files.completeUploadExternal"] = "not_in_channel"  # the bot was removed from the channel
    core = rig.app.core
    sender = SlackAlertSender(SlackPoster(rig.client, ChannelPacer(0.0)), history=core.history)
    now = MONDAY
    for _ in range(5):
        assert await send_due_digests(core.history, core.digests, sender, lambda at=now: at) == 0
        now += ROUND_S
    assert len(api.calls_to("files.completeUploadExternal")) == 5

    # A restart counts on from the state file: the attempts left are the week's, not a fresh dozen.
    await rig.app.aclose()
    again = build_app(rig_settings(tmp_path, api, pages))
    try:
        core = again.core
        poster = SlackPoster(AsyncWebClient(token=BOT_TOKEN, base_url=api.url), ChannelPacer(0.0))
        sender = SlackAlertSender(poster, history=core.history)
        for _ in range(DIGEST_MAX_ATTEMPTS + 5):
            await send_due_digests(core.history, core.digests, sender, lambda at=now: at)
            now += ROUND_S
        assert len(api.calls_to("files.completeUploadExternal")) == DIGEST_MAX_ATTEMPTS
        assert core.digests.due("slack", now) == []
        assert iso_week(now) == iso_week(MONDAY)  # all within the week

        ours = [r for r in caplog.records if r.name == "bot.digest"]
        (warning,) = [r for r in ours if r.levelno == logging.WARNING]
        text = warning.getMessage()
        assert "gave up the weekly digest" in text and "slack/C0001" in text and "not_in_channel" in text
        assert f"{DIGEST_MAX_ATTEMPTS} failed attempts" in text and "next week's digest is" in text
        assert all(BOT_TOKEN not in r.getMessage() and "/upload" not in r.getMessage() for r in ours)
    finally:
        await again.aclose()

    # Given up is remembered across a restart too; the next week tries again, and succeeds once the bot is back.
    third = build_app(rig_settings(tmp_path, api, pages))
    try:
        core = third.core
        poster = SlackPoster(AsyncWebClient(token=BOT_TOKEN, base_url=api.url), ChannelPacer(0.0))
        sender = SlackAlertSender(poster, history=core.history)
        assert await send_due_digests(core.history, core.digests, sender, lambda: now) == 0
        assert len(api.calls_to("files.completeUploadExternal")) == DIGEST_MAX_ATTEMPTS
        del api.errors["files.completeUploadExternal"]
        next_week = MONDAY + 7 * 86400
        assert [c.channel_id for c in core.digests.due("slack", next_week)] == ["C0001"]
        assert await send_due_digests(core.history, core.digests, sender, lambda: next_week) == 1
        assert core.digests.due("slack", next_week) == []
    finally:
        await third.aclose()


async def test_a_failing_digest_is_given_up_a_day_after_its_first_failure(
    rig: SlackRig, api: FakeSlackApi, caplog: pytest.LogCaptureFixture
) -> None:
    """Rounds missed while the bot was down count as time: a failure a day after the first ends the week's tries,
    however few attempts there were."""
    caplog.set_level(logging.WARNING, logger="bot.digest")
    core = rig.app.core
    core.digests.set("slack", "C0001", True)
    api.errors["files.completeUploadExternal"] = "channel_not_found"
    sender = SlackAlertSender(SlackPoster(rig.client, ChannelPacer(0.0)), history=core.history)
    assert await send_due_digests(core.history, core.digests, sender, lambda: MONDAY) == 0
    later = MONDAY + DIGEST_GIVE_UP_AFTER_S - 60
    assert await send_due_digests(core.history, core.digests, sender, lambda: later) == 0
    assert [c.channel_id for c in core.digests.due("slack", later)] == ["C0001"]  # still within the day
    assert not [r for r in caplog.records if "gave up" in r.getMessage()]
    day_later = MONDAY + DIGEST_GIVE_UP_AFTER_S + 60
    assert iso_week(day_later) == iso_week(MONDAY)
    assert await send_due_digests(core.history, core.digests, sender, lambda: day_later) == 0
    assert core.digests.due("slack", day_later) == []
    (warning,) = [r for r in caplog.records if "gave up" in r.getMessage()]
    assert "3 failed attempts" in warning.getMessage() and "channel_not_found" in warning.getMessage()
