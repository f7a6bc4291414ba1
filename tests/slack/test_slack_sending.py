"""Sending: Slack markup to text, the per-channel pacer, retries past the client's, feed alerts, run_slack."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack import ChannelPacer, SlackAlertSender, SlackPoster, run_slack, slack_text_to_plain
from bot.app import build_app
from bot.config import Secret
from bot.models import ArticleRef, FeedAlert, FeedNotice, FeedRef, Finding, SourceLink, Verdict
from bot.ports import AlertSender
from bot.render.slack_blocks import SlackMessage
from tests.slack.conftest import narrative, rig_settings
from tests.slack.fakeslack import APP_TOKEN, BOT_TOKEN, FakeSlackApi, PageServer, message_event, slash_command


@pytest.mark.parametrize(
    ("raw", "plain"),
    [
        ("see <https://a.example/x?a=1&amp;b=2|a.example/x?a=1&amp;b=2>", "see https://a.example/x?a=1&b=2"),
        ("<https://a.example/x>", "https://a.example/x"),
        ("read <https://a.example/x|this piece> now", "read this piece https://a.example/x now"),
        ("<@U123> says &lt;nonsense&gt; &amp; more", "@U123 says <nonsense> & more"),
        ("<#C123|newsroom> <!here> <!subteam^S1|@editors>", "#newsroom @here @editors"),
        ("mail <mailto:a@b.example|a@b.example>", "mail a@b.example"),
    ],
)
def test_slack_markup_becomes_plain_text(raw: str, plain: str) -> None:
    assert slack_text_to_plain(raw) == plain


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 3))
        self.now += seconds


async def test_pacer_spaces_posts_per_channel_only() -> None:
    clock = FakeClock()
    pacer = ChannelPacer(1.0, clock=clock, sleep=clock.sleep)
    order: list[str] = []
    for channel in ["C1", "C1", "C2", "C1"]:
        async with pacer.slot(channel):
            order.append(channel)
    assert order == ["C1", "C1", "C2", "C1"]
    assert clock.slept == [1.0, 1.0]  # the second and third C1 posts waited; C2 did not


async def test_poster_retries_past_the_clients_own_rate_limit_handler(api: FakeSlackApi) -> None:
    # A client with no retry handlers: the 429 reaches the poster, which waits Retry-After and tries again.
    client = AsyncWebClient(token=BOT_TOKEN, base_url=api.url, retry_handlers=[])
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    api.rate_limit_once.add("chat.postMessage")
    poster = SlackPoster(client, ChannelPacer(0), sleep=sleep)
    ts = await poster.post("C9", SlackMessage("hello", []))
    assert ts
    assert slept == [1.0]  # Retry-After: 1
    assert [c.params["text"] for c in api.calls_to("chat.postMessage")] == ["hello"]


async def test_poster_gives_up_at_once_on_permanent_errors() -> None:
    class Refusing:
        calls = 0

        async def chat_postMessage(self, **kwargs: object) -> None:
            self.calls += 1
            from slack_sdk.web.async_slack_response import AsyncSlackResponse

            response = AsyncSlackResponse(
                client=None,  # type: ignore[arg-type]
                http_verb="POST",
                api_url="chat.postMessage",
                req_args={},
                data={"ok": False, "error": "not_in_channel"},
                headers={},
                status_code=200,
            )
            raise SlackApiError("not_in_channel", response)  # type: ignore[no-untyped-call]

    refusing = Refusing()
    poster = SlackPoster(refusing, ChannelPacer(0))  # type: ignore[arg-type]
    with pytest.raises(SlackApiError):
        await poster.post("C9", SlackMessage("hello", []))
    assert refusing.calls == 1


def _verdict() -> Verdict:
    finding = Finding(
        narrative_id="sanctions-illegitimate",
        title="UN sanctions on the DPRK are illegitimate",
        score=81,
        level="alert",
        evidence="Sanctions are outdated and illegitimate.",
        matched="sanctions are illegitimate",
        debunk="The resolutions were adopted with Russia's own vote and remain in force.",
        sources=(SourceLink("UNSC resolution 2397", "https://undocs.org/S/RES/2397(2017)"),),
    )
    return Verdict(
        findings=(finding,),
        article=ArticleRef(url="https://t.me/somechannel/42", title="Post 42", site="Telegram"),
        feed=FeedRef(url="https://t.me/s/somechannel", title="Some channel"),
    )


async def test_alert_sender_posts_the_card_with_feed_and_item(api: FakeSlackApi) -> None:
    # Annotated with the protocol: mypy checks that the Slack sender fulfils the poller's contract.
    sender: AlertSender = SlackAlertSender(
        SlackPoster(AsyncWebClient(token=BOT_TOKEN, base_url=api.url), ChannelPacer(0))
    )
    assert sender.platform == "slack"
    await sender.send_alert(FeedAlert(alert_id=7, platform="slack", channel_id="C7", verdict=_verdict()))
    await sender.send_notice(FeedNotice(platform="slack", channel_id="C7", text="Feed x disabled after 10 failures."))
    alert, notice = api.calls_to("chat.postMessage")
    assert alert.params["channel"] == "C7"
    assert "thread_ts" not in alert.params
    card = json.dumps(alert.params["blocks"])
    assert "https://t.me/s/somechannel" in card and "https://t.me/somechannel/42" in card
    assert "sanctions-illegitimate|alert:7" in card
    assert notice.params["text"] == "Feed x disabled after 10 failures."


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_run_slack_serves_http_and_starts_the_feed_poller(
    tmp_path: Path, api: FakeSlackApi, pages: PageServer
) -> None:
    port = _free_port()
    app = build_app(rig_settings(tmp_path, api, pages, port=port))
    started = asyncio.Event()

    class Poller:
        async def run(self, sender: AlertSender) -> None:
            assert sender.platform == "slack"
            await sender.send_alert(FeedAlert(alert_id=1, platform="slack", channel_id="C5", verdict=_verdict()))
            started.set()
            await asyncio.Event().wait()

    app.feed_poller = Poller()  # type: ignore[assignment]
    task = asyncio.create_task(run_slack(app))
    try:
        await asyncio.wait_for(started.wait(), 10)
        (alert,) = await api.wait_for("chat.postMessage")
        assert alert.params["channel"] == "C5"
        assert api.calls_to("auth.test")  # the token was checked at start
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 5)
        writer.write(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
        await writer.drain()
        status = await asyncio.wait_for(reader.readline(), 5)
        writer.close()
        assert b" 401 " in status  # unsigned: refused
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await app.aclose()


async def test_run_slack_refuses_a_rejected_token(tmp_path: Path, api: FakeSlackApi, pages: PageServer) -> None:
    from bot.config import ConfigError

    app = build_app(rig_settings(tmp_path, api, pages, slack_bot_token=Secret("xoxb-revoked"), port=_free_port()))
    try:
        with pytest.raises(ConfigError, match="invalid_auth"):
            await asyncio.wait_for(run_slack(app), 10)
    finally:
        await app.aclose()


async def test_run_slack_in_socket_mode(tmp_path: Path, api: FakeSlackApi, pages: PageServer) -> None:
    app = build_app(
        rig_settings(tmp_path, api, pages, slack_app_token=Secret(APP_TOKEN), slack_signing_secret=Secret(""))
    )
    task = asyncio.create_task(run_slack(app))
    try:
        async with asyncio.timeout(60):
            event = json.loads(message_event(f"<{pages.url('/propaganda')}>", event_id="EvWS", ts="888.0001"))
            ack = await api.socket_send({"envelope_id": "env-1", "type": "events_api", "payload": event})
            assert ack == {"envelope_id": "env-1"}
            (post,) = await api.wait_for("chat.postMessage")
            assert post.params["thread_ts"] == "888.0001"
            # Slack re-sends over the socket too (retry_attempt): no second reply
            await api.socket_send({"envelope_id": "env-2", "type": "events_api", "payload": event, "retry_attempt": 1})
            command = dict(parse_qsl(slash_command("show sanctions-illegitimate", api.response_url())))
            answer = await api.socket_send(
                {"envelope_id": "env-3", "type": "slash_commands", "payload": command, "accepts_response_payload": True}
            )
            assert narrative().title_in("en") in answer["payload"]["text"]
            assert len(api.calls_to("chat.postMessage")) == 1
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await app.aclose()
