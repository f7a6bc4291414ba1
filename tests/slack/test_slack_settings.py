"""Channel settings on Slack: who may change them (admins, owners, a user group), their effect, threaded alerts."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from slack_bolt.async_app import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack import ChannelPacer, SlackAlertSender, SlackPoster, build_slack_app
from bot.app import build_app
from bot.models import FeedAlert
from tests.slack.conftest import SlackRig, narrative, rig_settings
from tests.slack.fakeslack import BOT_TOKEN, FakeSlackApi, PageServer, message_event, signed_headers, slash_command
from tests.slack.test_slack_sending import _verdict

FORM = "application/x-www-form-urlencoded"
ADMIN, MEMBER, GROUPIE = "UADMIN", "UMEMBER", "UGROUP"


async def command(rig: SlackRig, text: str, user: str, name: str = "r1") -> dict[str, Any]:
    body = slash_command(text, rig.api.response_url(name), user=user)
    response = await rig.bolt.async_dispatch(AsyncBoltRequest(body=body, headers=signed_headers(body, FORM)))
    assert response.status == 200
    data = json.loads(response.body)
    assert isinstance(data, dict)
    return data


async def test_a_member_may_read_the_settings_but_not_change_them(rig: SlackRig) -> None:
    shown = await command(rig, "settings", MEMBER)
    assert "threshold: 44 — default" in shown["text"] and shown["response_type"] == "ephemeral"
    refused = await command(rig, "settings threshold 70", MEMBER)
    assert refused["text"].startswith("Only workspace admins and owners can change this channel's settings")
    assert refused["response_type"] == "ephemeral"
    assert rig.app.core.channels.stored("slack", "C0001") == {}
    (asked,) = rig.api.calls_to("users.info")
    assert asked.params["user"] == MEMBER


async def test_an_admin_or_owner_may_change_them(rig: SlackRig) -> None:
    rig.api.users[ADMIN] = {"is_admin": True}
    rig.api.users["UOWNER"] = {"is_owner": True}
    assert "now 70" in (await command(rig, "settings threshold 70", ADMIN))["text"]
    assert "Muted" in (await command(rig, "settings mute troops-denial", "UOWNER"))["text"]
    policy = rig.app.core.channels.policy("slack", "C0001")
    assert policy.threshold == 70 and policy.muted == {"troops-denial"}
    assert "set here by UADMIN" in (await command(rig, "settings", MEMBER))["text"]


async def test_members_of_the_configured_group_may_change_them(
    tmp_path: Path, api: FakeSlackApi, pages: PageServer
) -> None:
    api.usergroups["SEDITORS"] = [GROUPIE]
    app = build_app(rig_settings(tmp_path, api, pages, slack_admin_group="SEDITORS"))
    client = AsyncWebClient(token=BOT_TOKEN, base_url=api.url)
    rig = SlackRig(api, pages, app, build_slack_app(app, client=client, process_before_response=True, pace_s=0), client)
    try:
        assert "digest is on" in (await command(rig, "settings digest on", GROUPIE))["text"]
        refused = await command(rig, "settings digest off", MEMBER)
        assert "members of the user group <!subteam^SEDITORS>" in refused["text"]
        assert rig.app.core.channels.policy("slack", "C0001").digest is True
        rig.app.core.channels.change("slack", "C0001", ["language", "ru"], GROUPIE)
        refused = await command(rig, "settings digest off", MEMBER)
        assert refused["text"] == (
            "Менять настройки и ленты этого канала могут только администраторы и владельцы рабочего пространства "
            "и участники группы пользователей <!subteam^SEDITORS>. `/narrative settings` и `/narrative feeds list` "
            "показывают их всем."
        )
        (lookup, _) = api.calls_to("usergroups.users.list")
        assert lookup.params["usergroup"] == "SEDITORS"
    finally:
        await app.aclose()


async def test_adding_a_feed_is_refused_to_a_member(rig: SlackRig) -> None:
    url = rig.pages.url("/rss")
    ack = await command(rig, f"feeds add {url}", MEMBER, name="feed1")
    assert "Checking" in ack["text"]
    (answer,) = await rig.api.wait_for("response_url")
    assert answer.params["text"].startswith("Only workspace admins and owners can change")
    assert rig.app.store.subscriptions("slack") == []
    listed = await command(rig, "feeds list", MEMBER)  # reading stays open
    assert "watches no feeds" in listed["text"]


async def test_when_slack_cannot_tell_nothing_is_changed(rig: SlackRig) -> None:
    rig.api.errors["users.info"] = "missing_scope"
    refused = await command(rig, "settings links off", ADMIN)
    assert "could not check your permissions" in refused["text"] and "users:read" in refused["text"]
    assert rig.app.core.channels.policy("slack", "C0001").links is True


async def test_refusals_follow_the_channel_language(rig: SlackRig) -> None:
    rig.app.core.channels.change("slack", "C0001", ["language", "uk"], ADMIN)
    shown = await command(rig, "settings", MEMBER)
    assert shown["text"].startswith("Налаштування цього каналу:\n• threshold: 44 — типово")
    refused = await command(rig, "settings threshold 70", MEMBER)
    assert refused["text"] == (
        "Змінювати налаштування та стрічки цього каналу можуть лише адміністратори й власники робочого простору. "
        "`/narrative settings` і `/narrative feeds list` показують їх усім."
    )
    rig.api.errors["users.info"] = "missing_scope"
    unchecked = await command(rig, "settings links off", ADMIN)
    assert unchecked["text"] == (
        "Зараз не вдалося перевірити ваші права в Slack, тому нічого не змінено; спробуйте ще раз. (Ботові потрібні "
        "дозволи `users:read` і `usergroups:read`.)"
    )
    assert rig.app.core.channels.policy("slack", "C0001").links is True


async def test_links_off_leaves_a_pasted_link_unanswered(rig: SlackRig) -> None:
    rig.api.users[ADMIN] = {"is_admin": True}
    await command(rig, "settings links off", ADMIN)
    body = message_event(f"look <{rig.pages.url('/propaganda')}>", event_id="Ev1", ts="1712345678.000300")
    await rig.bolt.async_dispatch(AsyncBoltRequest(body=body, headers=signed_headers(body, "application/json")))
    assert rig.api.calls_to("chat.postMessage") == [] and "/propaganda" not in rig.pages.hits
    await command(rig, "settings links on", ADMIN)
    body = message_event(f"look <{rig.pages.url('/propaganda')}>", event_id="Ev2", ts="1712345678.000400")
    await rig.bolt.async_dispatch(AsyncBoltRequest(body=body, headers=signed_headers(body, "application/json")))
    (reply,) = rig.api.calls_to("chat.postMessage")
    blocks = json.dumps(reply.params["blocks"], ensure_ascii=False)
    assert any(narrative().title_in(lang) in blocks for lang in ("en", "uk", "ru"))


async def test_a_threaded_channel_gets_a_line_with_the_card_in_its_thread(
    tmp_path: Path, api: FakeSlackApi, pages: PageServer
) -> None:
    app = build_app(replace(rig_settings(tmp_path, api, pages), feed_threads=True))  # the default, from the env
    try:
        poster = SlackPoster(AsyncWebClient(token=BOT_TOKEN, base_url=api.url), ChannelPacer(0))
        sender = SlackAlertSender(poster, policy=app.core.channels.policy)
        await sender.send_alert(FeedAlert(7, "slack", "C7", _verdict()))
        line, card = api.calls_to("chat.postMessage")
        assert line.params["text"].startswith("⚠ Known narrative: UN sanctions on the DPRK are illegitimate")
        assert "thread_ts" not in line.params
        assert card.params["thread_ts"] == api.channel_messages["C7"][0]["ts"]
        assert any(b["type"] == "actions" for b in card.params["blocks"])  # the card, with its buttons
        assert [len(api.posts_carrying(k)) for k in ("alert:7", "alert:7:card")] == [1, 1]
        # A channel that turned threads off gets the card itself.
        app.core.channels.change("slack", "C8", ["thread", "off"], "UADMIN")
        await sender.send_alert(FeedAlert(8, "slack", "C8", _verdict()))
        (only,) = [c for c in api.calls_to("chat.postMessage") if c.params["channel"] == "C8"]
        assert "thread_ts" not in only.params and any(b["type"] == "actions" for b in only.params["blocks"])
    finally:
        await app.aclose()
