"""Message events through the real Bolt app, core, fetcher and matcher, against a fake Slack Web API."""

from __future__ import annotations

import json
from pathlib import Path

from slack_bolt.adapter.socket_mode.async_internals import run_async_bolt_app
from slack_bolt.async_app import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack import build_slack_app
from bot.app import build_app
from tests.slack.conftest import SlackRig, narrative, rig_settings
from tests.slack.fakeslack import (
    BOT_ID,
    BOT_TOKEN,
    BOT_USER_ID,
    FakeSlackApi,
    PageServer,
    message_event,
    signed_headers,
)

JSON = "application/json"


async def send_event(
    rig: SlackRig, body: str, *, retry_num: int | None = None, secret: str | None = None
) -> BoltResponse:
    headers = signed_headers(body, JSON, retry_num=retry_num, **({"secret": secret} if secret else {}))
    return await rig.bolt.async_dispatch(AsyncBoltRequest(body=body, headers=headers))


def _card_text(blocks: list[dict[str, object]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


async def test_propaganda_link_gets_one_threaded_card(rig: SlackRig) -> None:
    url = rig.pages.url("/propaganda")
    response = await send_event(rig, message_event(f"Have you seen this? <{url}|{url[7:]}>", ts="111.0001"))
    assert response.status == 200
    posts = rig.api.calls_to("chat.postMessage")
    assert len(posts) == 1
    post = posts[0].params
    assert post["channel"] == "C0001"
    assert post["thread_ts"] == "111.0001"  # a threaded reply to the pasted link
    expected = narrative()
    # "Have you seen this?" is English, so the card is, although the page is Russian.
    assert expected.title_in("en") in post["text"]  # the plain fallback
    card = _card_text(post["blocks"])
    assert expected.title_in("en")[:40] in card
    assert expected.examples[0][:40] in card  # the evidence sentence, quoted from the page
    assert "Москва и Пхеньян: новая страница" in card and "Loopback Herald" in card
    assert expected.sources[0].url in card
    assert "/100" in card
    buttons = [e for b in post["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["action_id"] for b in buttons] == ["feedback_correct", "feedback_wrong"]
    assert buttons[0]["value"] == "sanctions-illegitimate|111.0001|en"  # the card's language too
    assert post["unfurl_links"] is False
    assert rig.pages.hits == ["/propaganda"]


async def test_retried_event_gets_no_second_reply(rig: SlackRig) -> None:
    url = rig.pages.url("/propaganda")
    body = message_event(f"<{url}>", event_id="EvRETRY", ts="222.0001")
    assert (await send_event(rig, body)).status == 200
    assert (await send_event(rig, body, retry_num=1)).status == 200
    assert (await send_event(rig, body, retry_num=2)).status == 200
    # The same message delivered under another event id (a second subscription, a replay) is caught by its ts.
    assert (await send_event(rig, message_event(f"<{url}>", event_id="EvOTHER", ts="222.0001"))).status == 200
    assert len(rig.api.calls_to("chat.postMessage")) == 1
    assert rig.pages.hits == ["/propaganda"]


async def test_neutral_link_gets_no_reply(rig: SlackRig) -> None:
    url = rig.pages.url("/neutral")
    assert (await send_event(rig, message_event(f"weekend plans <{url}>"))).status == 200
    assert rig.pages.hits == ["/neutral"]  # it was read ...
    assert rig.api.calls_to("chat.postMessage") == []  # ... and nothing was said
    assert rig.api.calls_to("reactions.add") == []


async def test_neutral_link_gets_the_configured_reaction(tmp_path: Path, api: FakeSlackApi, pages: PageServer) -> None:
    app = build_app(rig_settings(tmp_path, api, pages, no_match_reaction="white_check_mark"))
    try:
        bolt = build_slack_app(
            app, client=AsyncWebClient(token=BOT_TOKEN, base_url=api.url), process_before_response=True, pace_s=0
        )
        body = message_event(f"<{pages.url('/neutral')}>", ts="333.0001")
        await bolt.async_dispatch(AsyncBoltRequest(body=body, headers=signed_headers(body, JSON)))
        await bolt.async_dispatch(AsyncBoltRequest(body=body, headers=signed_headers(body, JSON)))
        reactions = api.calls_to("reactions.add")
        assert [(c.params["name"], c.params["timestamp"]) for c in reactions] == [("white_check_mark", "333.0001")]
        # short chatter without a link is not worth a reaction
        chatter = message_event("lol", event_id="Ev2", ts="333.0002")
        await bolt.async_dispatch(AsyncBoltRequest(body=chatter, headers=signed_headers(chatter, JSON)))
        assert len(api.calls_to("reactions.add")) == 1
        assert api.calls_to("chat.postMessage") == []
    finally:
        await app.aclose()


async def test_talking_point_typed_in_chat_is_matched(rig: SlackRig) -> None:
    text = narrative().examples[0]
    await send_event(rig, message_event(text, ts="444.0001", thread_ts="440.0001"))
    posts = rig.api.calls_to("chat.postMessage")
    assert len(posts) == 1
    assert posts[0].params["thread_ts"] == "440.0001"  # answered inside the thread it was said in
    assert narrative().title_in("ru") in posts[0].params["text"]  # said in Russian, answered in Russian
    assert rig.pages.hits == []


async def test_bad_signature_is_refused(rig: SlackRig) -> None:
    body = message_event(narrative().examples[0])
    assert (await send_event(rig, body, secret="not-the-secret")).status == 401
    unsigned = await rig.bolt.async_dispatch(AsyncBoltRequest(body=body, headers={"content-type": JSON}))
    assert unsigned.status == 401
    assert rig.api.calls_to("chat.postMessage") == []


async def test_bots_edits_and_joins_are_ignored(rig: SlackRig) -> None:
    claim = narrative().examples[0]
    bodies = [
        message_event(claim, event_id="E1", ts="1.1", user=BOT_USER_ID, bot_id=BOT_ID),  # ourselves
        message_event(claim, event_id="E2", ts="1.2", bot_id="BOTHER", subtype="bot_message"),  # another bot
        message_event(claim, event_id="E3", ts="1.3", bot_id="BOTHER"),  # a bot posting as an app
        message_event(claim, event_id="E4", ts="1.4", subtype="channel_join"),
        message_event(claim, event_id="E5", ts="1.5", subtype="message_changed", message={"text": claim}),
        message_event(claim, event_id="E6", ts="1.6", subtype="message_deleted"),
    ]
    for body in bodies:
        assert (await send_event(rig, body)).status == 200
    assert rig.api.calls_to("chat.postMessage") == []


async def test_rate_limited_reply_is_retried_and_arrives(rig: SlackRig) -> None:
    rig.api.rate_limit_once.add("chat.postMessage")
    await send_event(rig, message_event(f"<{rig.pages.url('/propaganda')}>", ts="555.0001"))
    assert rig.api.rate_limited == ["chat.postMessage"]  # Slack said 429 once ...
    posts = rig.api.calls_to("chat.postMessage")
    assert len(posts) == 1  # ... and the reply still arrived, once
    assert posts[0].params["thread_ts"] == "555.0001"


async def test_socket_mode_envelope_is_handled_and_its_retry_dropped(rig: SlackRig) -> None:
    payload = json.loads(message_event(narrative().examples[0], event_id="EvSOCK", ts="666.0001"))
    first = SocketModeRequest(type="events_api", envelope_id="env-1", payload=payload)
    retry = SocketModeRequest(type="events_api", envelope_id="env-2", payload=payload, retry_attempt=1)
    assert (await run_async_bolt_app(rig.bolt, first)).status == 200  # no signature needed over the socket
    assert (await run_async_bolt_app(rig.bolt, retry)).status == 200
    assert len(rig.api.calls_to("chat.postMessage")) == 1
