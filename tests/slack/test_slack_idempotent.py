"""Posting at most once: a Web API answer slower than the client's timeout, a re-sent event, a restart mid-post."""

from __future__ import annotations

from slack_bolt.async_app import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack import ChannelPacer, SlackAlertSender, SlackPoster, with_retry_handlers
from bot.adapters.slack_delivery import EVENT_TYPE
from bot.models import FeedAlert, FeedNotice
from bot.render.slack_blocks import SlackMessage
from tests.slack.conftest import SlackRig
from tests.slack.fakeslack import BOT_TOKEN, FakeSlackApi, message_event, signed_headers
from tests.slack.test_slack_sending import _verdict


async def _no_wait(seconds: float) -> None:
    return None


def _poster(api: FakeSlackApi, *, timeout: int = 1) -> SlackPoster:
    # The production client waits 30 s for an answer; one second shows the same race in a test.
    client = AsyncWebClient(token=BOT_TOKEN, base_url=api.url, timeout=timeout)
    return SlackPoster(client, ChannelPacer(0), sleep=_no_wait)


async def test_a_post_whose_answer_times_out_is_found_in_history_not_posted_again(api: FakeSlackApi) -> None:
    api.slow_answers["chat.postMessage"] = [2.5]  # posted at once, answered after the client gave up
    poster = _poster(api)
    ts = await poster.post("C1", SlackMessage("alert", []), key="alert:1")
    (post,) = api.channel_messages["C1"]
    assert ts == post["ts"]
    assert post["metadata"] == {"event_type": EVENT_TYPE, "event_payload": {"delivery_key": "alert:1"}}
    (lookup,) = api.calls_to("conversations.history")
    assert lookup.params["include_all_metadata"] in ("1", "true")


async def test_a_dropped_connection_after_posting_is_not_retried_blindly(api: FakeSlackApi) -> None:
    # slack_sdk's default connection-error handler would send the post again inside the client, unseen by us.
    poster = SlackPoster(with_retry_handlers(AsyncWebClient(token=BOT_TOKEN, base_url=api.url)), ChannelPacer(0),
                         sleep=_no_wait)
    api.dropped_answers = 1
    ts = await poster.post("C3", SlackMessage("alert", []), key="alert:3")
    assert [m["ts"] for m in api.posts_carrying("alert:3")] == [ts]


async def test_a_server_error_after_posting_is_looked_up_before_a_retry(api: FakeSlackApi) -> None:
    api.server_errors_after_posting = 1
    ts = await _poster(api).post("C4", SlackMessage("alert", []), key="alert:4")
    assert [m["ts"] for m in api.posts_carrying("alert:4")] == [ts]
    assert len(api.calls_to("chat.postMessage")) == 1


async def test_a_thread_reply_whose_answer_times_out_is_looked_for_in_the_thread(api: FakeSlackApi) -> None:
    api.store_message({"channel": "C1", "text": "a pasted link"}, ts="111.000100")
    api.slow_answers["chat.postMessage"] = [2.5]
    ts = await _poster(api).post("C1", SlackMessage("card", []), thread_ts="111.000100", key="reply:slack:C1:111")
    replies = [m for m in api.channel_messages["C1"] if m.get("thread_ts") == "111.000100"]
    assert [m["ts"] for m in replies] == [ts]
    assert api.calls_to("conversations.replies") and not api.calls_to("conversations.history")


async def test_an_earlier_attempt_that_never_reached_slack_is_posted_once(api: FakeSlackApi) -> None:
    # Looked for and not found: the earlier attempt did not post, so this one does, once.
    poster = _poster(api)
    ts = await poster.post("C2", SlackMessage("x", []), key="notice:3", maybe_posted_since=1_700_000_000.0)
    assert [m["ts"] for m in api.posts_carrying("notice:3")] == [ts]
    (lookup,) = api.calls_to("conversations.history")
    assert float(lookup.params["oldest"]) < 1_700_000_000.0  # a margin for clocks that disagree


async def test_an_alert_pending_after_a_restart_is_not_posted_twice(api: FakeSlackApi) -> None:
    sender = SlackAlertSender(_poster(api))
    # The killed process posted it, but never learned so: the row is still pending with its attempt time.
    earlier = await _poster(api).post("C7", SlackMessage("alert", []), key="alert:7")
    await sender.send_alert(FeedAlert(7, "slack", "C7", _verdict(), attempted_at=1_700_000_000.0))
    assert [m["ts"] for m in api.posts_carrying("alert:7")] == [earlier]
    # A first attempt (no earlier one) posts without looking; so does a notice's.
    await sender.send_alert(FeedAlert(8, "slack", "C7", _verdict()))
    await sender.send_notice(FeedNotice("slack", "C7", "digest", notice_id=9))
    assert len(api.posts_carrying("alert:8")) == len(api.posts_carrying("notice:9")) == 1
    assert len(api.calls_to("conversations.history")) == 1


KEY = "reply:slack:C0001:1712345678.000200"


async def test_a_resent_event_after_a_lost_answer_does_not_reply_twice(rig: SlackRig) -> None:
    url = rig.pages.url("/propaganda")
    body = message_event(f"<{url}>", event_id="EvR1", ts="1712345678.000200")
    rig.api.store_message({"channel": "C0001", "text": f"<{url}>"}, ts="1712345678.000200")
    # The first delivery's reply reached the thread, but its answer was lost and the claims were released.
    earlier = rig.api.store_message(
        {
            "channel": "C0001",
            "thread_ts": "1712345678.000200",
            "text": "card",
            "metadata": {"event_type": EVENT_TYPE, "event_payload": {"delivery_key": KEY}},
        }
    )
    headers = signed_headers(body, "application/json", retry_num=1)
    response = await rig.bolt.async_dispatch(AsyncBoltRequest(body=body, headers=headers))
    assert response.status == 200
    assert rig.api.calls_to("chat.postMessage") == []
    assert rig.api.posts_carrying(KEY) == [earlier]


async def test_a_first_event_replies_with_its_delivery_key(rig: SlackRig) -> None:
    url = rig.pages.url("/propaganda")
    body = message_event(f"<{url}>", event_id="EvR2", ts="1712345678.000300")
    headers = signed_headers(body, "application/json")
    await rig.bolt.async_dispatch(AsyncBoltRequest(body=body, headers=headers))
    (post,) = rig.api.calls_to("chat.postMessage")
    assert post.params["metadata"]["event_payload"] == {"delivery_key": "reply:slack:C0001:1712345678.000300"}
    assert rig.api.calls_to("conversations.replies") == []  # no earlier attempt: no lookup
