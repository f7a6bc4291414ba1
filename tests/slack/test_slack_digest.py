"""The weekly digest on Slack: turned on by command, posted by the run loop through the external file upload, once
a week per channel, restarts included."""

from __future__ import annotations

import asyncio
import io
import json
import time
from pathlib import Path

from PIL import Image
from slack_bolt.async_app import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack import ChannelPacer, SlackAlertSender, SlackPoster, _start_background
from bot.app import build_app
from bot.digest import iso_week, run_digests, send_due_digests
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
