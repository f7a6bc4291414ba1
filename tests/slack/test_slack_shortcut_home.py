"""The "Check for narratives" message shortcut (ephemeral answers) and the App Home tab, through the Bolt app."""

from __future__ import annotations

import json

from slack_bolt.async_app import AsyncBoltRequest

from bot.feed_store import verdict_to_json
from bot.render.i18n import word
from tests.slack.conftest import SlackRig, narrative
from tests.slack.fakeslack import home_opened_event, message_shortcut, signed_headers
from tests.slack.test_slack_sending import _verdict

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


async def dispatch(rig: SlackRig, body: str, content_type: str) -> int:
    response = await rig.bolt.async_dispatch(AsyncBoltRequest(body=body, headers=signed_headers(body, content_type)))
    return response.status


async def test_the_shortcut_checks_the_message_and_its_links_for_the_clicker_alone(rig: SlackRig) -> None:
    text = f"Have a look: <{rig.pages.url('/propaganda')}|{rig.pages.url('/propaganda')[7:]}>"
    assert await dispatch(rig, message_shortcut(text, rig.api.response_url("s1"), thread_ts="1712345600.000001"),
                          FORM) == 200
    (answer,) = await rig.api.wait_for("chat.postEphemeral")
    assert answer.params["user"] == "U0002" and answer.params["channel"] == "C0001"
    assert answer.params["thread_ts"] == "1712345600.000001"
    assert answer.params["text"].startswith("Narrative found.")
    assert narrative().title_in("en") in json.dumps(answer.params["blocks"], ensure_ascii=False)
    assert "/propaganda" in rig.pages.hits  # the link was read
    assert rig.api.calls_to("chat.postMessage") == []  # nothing the channel sees


async def test_the_shortcut_on_a_neutral_message_says_so_privately(rig: SlackRig) -> None:
    await dispatch(rig, message_shortcut("Погода на выходные будет солнечной и тёплой, обещают синоптики.",
                                         rig.api.response_url("s2")), FORM)
    (answer,) = await rig.api.wait_for("chat.postEphemeral")
    assert answer.params["text"] == word("check_none", "ru")  # answered in the message's language


async def test_the_shortcut_answers_through_the_response_url_where_the_bot_is_not_a_member(rig: SlackRig) -> None:
    rig.api.errors["chat.postEphemeral"] = "channel_not_found"
    await dispatch(rig, message_shortcut(narrative().examples[0], rig.api.response_url("s3")), FORM)
    (answer,) = await rig.api.wait_for("response_url")
    assert answer.params["_name"] == "s3" and answer.params["response_type"] == "ephemeral"
    assert narrative().title_in("ru") in answer.params["text"]


async def test_the_home_tab_shows_the_bot_the_settings_and_the_latest_alerts(rig: SlackRig) -> None:
    rig.app.core.channels.change("slack", "C0042", ["threshold", "70"], "UADMIN")
    rig.app.core.channels.change("slack", "C0042", ["mute", "troops-denial"], "UADMIN")
    with rig.app.store.transaction() as db:
        db.execute(
            """INSERT INTO feed_alerts (feed_url, item_key, platform, channel_id, kind, payload, status, created_at,
                                        posted_at) VALUES ('https://t.me/s/x', 'k1', 'slack', 'C0042', 'alert', ?,
                                        'posted', 1, 2)""",
            (verdict_to_json(_verdict()),),
        )
    assert await dispatch(rig, home_opened_event("U0002"), JSON) == 200
    (published,) = await rig.api.wait_for("views.publish")
    assert published.params["user_id"] == "U0002"
    view = rig.api.home_views["U0002"]
    text = json.dumps(view["blocks"], ensure_ascii=False)
    assert view["type"] == "home" and "Russia–DPRK alliance" in text
    assert "threshold 44 · muted: none" in text  # the defaults
    assert "<#C0042>: threshold 70 · muted: `troops-denial`" in text
    assert "UN sanctions on the DPRK are illegitimate* (81/100)" in text and "https://t.me/somechannel/42" in text
    assert "/narrative check" in text and "Check for narratives" in text
    assert len(view["blocks"]) <= 100


async def test_the_messages_tab_draws_no_home(rig: SlackRig) -> None:
    await dispatch(rig, home_opened_event("U0002", tab="messages", event_id="EvHome2"), JSON)
    assert rig.api.calls_to("views.publish") == []
