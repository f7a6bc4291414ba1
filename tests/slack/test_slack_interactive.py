"""`/narrative` commands and feedback buttons through the Bolt app: ack bodies, response_url answers, the store."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt.async_app import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from tests.slack.conftest import SlackRig, narrative
from tests.slack.fakeslack import button_click, signed_headers, slash_command

FORM = "application/x-www-form-urlencoded"


async def command(rig: SlackRig, text: str, name: str = "r1") -> BoltResponse:
    body = slash_command(text, rig.api.response_url(name))
    response = await rig.bolt.async_dispatch(AsyncBoltRequest(body=body, headers=signed_headers(body, FORM)))
    assert response.status == 200
    return response


def ack_body(response: BoltResponse) -> dict[str, Any]:
    data = json.loads(response.body)
    assert isinstance(data, dict)
    return data


async def test_show_is_answered_in_the_ack_ephemerally(rig: SlackRig) -> None:
    body = ack_body(await command(rig, "show sanctions-illegitimate"))
    expected = narrative()
    assert body["response_type"] == "ephemeral"
    assert expected.title_in("en") in body["text"]
    assert expected.sources[0].url in json.dumps(body["blocks"])
    assert rig.api.calls_to("response_url") == []


async def test_show_unknown_id_suggests_close_ones(rig: SlackRig) -> None:
    body = ack_body(await command(rig, "show sanctions-ilegitimate"))
    assert "sanctions-illegitimate" in body["text"]
    assert body["response_type"] == "ephemeral"


async def test_search_is_answered_in_the_ack(rig: SlackRig) -> None:
    body = ack_body(await command(rig, "search sanctions"))
    assert "sanctions-illegitimate" in body["text"]
    assert body["response_type"] == "ephemeral"


async def test_help_and_unknown_subcommand(rig: SlackRig) -> None:
    assert "/narrative check" in ack_body(await command(rig, ""))["text"]
    assert "Unknown subcommand" in ack_body(await command(rig, "frobnicate"))["text"]


async def test_check_link_is_acked_at_once_and_answered_publicly_through_the_response_url(rig: SlackRig) -> None:
    url = rig.pages.url("/propaganda")
    ack = ack_body(await command(rig, f"check <{url}> --public", name="check1"))
    assert ack["response_type"] == "ephemeral"
    assert "Checking" in ack["text"]
    (answer,) = await rig.api.wait_for("response_url")
    assert answer.params["_name"] == "check1"
    assert answer.params["response_type"] == "in_channel"  # --public: the channel sees the result
    # A link alone: the answer follows the article's language (Russian).
    assert narrative().title_in("ru") in json.dumps(answer.params["blocks"], ensure_ascii=False)
    assert answer.params["text"].startswith("Найден нарратив.")
    buttons = [e for b in answer.params["blocks"] if b["type"] == "actions" for e in b["elements"]]
    # Feedback names this invocation, and the card's language for the thanks.
    assert buttons[0]["value"] == "sanctions-illegitimate|command:1.2.3|ru"


async def test_check_text_is_private_by_default(rig: SlackRig) -> None:
    await command(rig, f"check {narrative().examples[0]}")
    (answer,) = await rig.api.wait_for("response_url")
    assert answer.params["response_type"] == "ephemeral"
    assert narrative().title_in("ru") in answer.params["text"]  # the example is Russian


async def test_check_neutral_link_says_nothing_found(rig: SlackRig) -> None:
    await command(rig, f"check {rig.pages.url('/neutral')}")
    (answer,) = await rig.api.wait_for("response_url")
    assert answer.params["text"] == "No known narrative found."


async def test_check_unreadable_link_says_why(rig: SlackRig) -> None:
    await command(rig, f"check {rig.pages.url('/missing')}")
    (answer,) = await rig.api.wait_for("response_url")
    assert answer.params["response_type"] == "ephemeral"
    assert answer.params["text"]  # the fetcher's message for a 404, whatever its wording
    assert "blocks" in answer.params


FEED = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title><item><guid>1</guid><title>A</title>'
    b"<link>https://news.example/a</link><description>Road repairs.</description></item></channel></rss>"
)


async def test_feeds_add_list_remove(rig: SlackRig) -> None:
    rig.api.users["U0001"] = {"is_admin": True}  # feeds post on their own: only admins may add them
    rig.pages.pages["/feed.xml"] = FEED
    url = rig.pages.url("/feed.xml")
    # Adding tries the feed first, which may take longer than Slack's 3 s: acked at once, answered after.
    assert "Checking" in ack_body(await command(rig, f"feeds add <{url}>"))["text"]
    (added,) = await rig.api.wait_for("response_url")
    assert f"Watching {url}" in added.params["text"] and "“Wire”, 1 item now" in added.params["text"]
    subs = rig.app.store.subscriptions("slack", "C0001")
    assert [s.feed_url for s in subs] == [url]
    assert url in ack_body(await command(rig, "feeds list"))["text"]
    assert "Stopped watching" in ack_body(await command(rig, f"feeds remove {url}"))["text"]
    assert rig.app.store.subscriptions("slack", "C0001") == []


async def test_feeds_add_refuses_a_feed_it_cannot_read(rig: SlackRig) -> None:
    rig.api.users["U0001"] = {"is_owner": True}
    await command(rig, f"feeds add {rig.pages.url('/gone.xml')}")
    (refused,) = await rig.api.wait_for("response_url")
    assert refused.params["text"].startswith(f"I can't watch {rig.pages.url('/gone.xml')}: the site answered HTTP 404")
    assert rig.app.store.subscriptions("slack", "C0001") == []


async def click(rig: SlackRig, action_id: str, value: str, *, user: str = "U0002", thread_ts: str = "") -> BoltResponse:
    body = button_click(action_id, value, rig.api.response_url("click"), user=user, thread_ts=thread_ts)
    return await rig.bolt.async_dispatch(AsyncBoltRequest(body=body, headers=signed_headers(body, FORM)))


async def test_feedback_click_is_stored_and_acknowledged(rig: SlackRig) -> None:
    response = await click(rig, "feedback_correct", "sanctions-illegitimate|111.0001", thread_ts="111.0001")
    assert response.status == 200
    (record,) = rig.app.store.feedback("sanctions-illegitimate")
    assert (record.platform, record.channel_id, record.message_ref, record.user_id, record.value) == (
        "slack",
        "C0001",
        "111.0001",
        "U0002",
        "correct",
    )
    (thanks,) = await rig.api.wait_for("chat.postEphemeral")
    assert thanks.params["user"] == "U0002"
    assert thanks.params["thread_ts"] == "111.0001"
    assert "right" in thanks.params["text"]
    # changing one's mind replaces the vote rather than adding one
    await click(rig, "feedback_wrong", "sanctions-illegitimate|111.0001")
    assert [r.value for r in rig.app.store.feedback("sanctions-illegitimate")] == ["wrong"]


async def test_feedback_where_the_bot_cannot_post_is_confirmed_through_the_response_url(rig: SlackRig) -> None:
    rig.api.errors["chat.postEphemeral"] = "not_in_channel"
    await click(rig, "feedback_wrong", "sanctions-illegitimate|command:1.2.3")
    assert [r.value for r in rig.app.store.feedback("sanctions-illegitimate")] == ["wrong"]
    (answer,) = await rig.api.wait_for("response_url")
    assert answer.params["response_type"] == "ephemeral"
    assert answer.params["replace_original"] is False
    assert "wrong" in answer.params["text"]


async def test_malformed_feedback_value_is_acked_and_ignored(rig: SlackRig) -> None:
    response = await click(rig, "feedback_wrong", "no-separator")
    assert response.status == 200
    assert rig.app.store.feedback() == []


async def test_bad_signature_on_a_command_is_refused(rig: SlackRig) -> None:
    body = slash_command("list", rig.api.response_url())
    headers = signed_headers(body, FORM, secret="wrong")
    response = await rig.bolt.async_dispatch(AsyncBoltRequest(body=body, headers=headers))
    assert response.status == 401
