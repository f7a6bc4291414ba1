"""Slack: a reply kept in the history, the reason asked after a ❌ (and its fallback), `/narrative feedback`."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt.async_app import AsyncBoltRequest

from tests.slack.conftest import SlackRig, narrative
from tests.slack.fakeslack import button_click, message_event, signed_headers, slash_command

FORM = "application/x-www-form-urlencoded"
TS = "1712345678.000100"


async def _dispatch(rig: SlackRig, body: str, content_type: str = FORM) -> dict[str, Any]:
    response = await rig.bolt.async_dispatch(AsyncBoltRequest(body=body, headers=signed_headers(body, content_type)))
    assert response.status == 200
    return json.loads(response.body) if response.body else {}


async def _alert(rig: SlackRig) -> str:
    await _dispatch(rig, message_event(narrative().examples[0], ts=TS), "application/json")
    (record,) = rig.app.core.history.recent("slack", "C0001")
    assert record.message_ref == TS and record.workspace_id == "T0001" and record.origin == "message"
    return f"{record.narrative_id}|{TS}"


def _reason_buttons(blocks: Any) -> list[dict[str, Any]]:
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


async def test_a_wrong_click_asks_why_and_the_answer_is_stored(rig: SlackRig) -> None:
    value = await _alert(rig)
    await _dispatch(rig, button_click("feedback_wrong", value, rig.api.response_url("w")))
    (prompt,) = rig.api.calls_to("chat.postEphemeral")
    buttons = _reason_buttons(prompt.params["blocks"])
    assert [b["action_id"] for b in buttons] == [
        "feedback_reason_wrong-narrative", "feedback_reason_not-propaganda", "feedback_reason_fact-check",
        "feedback_reason_other",
    ]
    assert "Why was it wrong?" in prompt.params["text"]
    await _dispatch(rig, button_click(buttons[1]["action_id"], buttons[1]["value"], rig.api.response_url("why")))
    (answer,) = [c for c in rig.api.calls_to("response_url") if c.params["_name"] == "why"]
    assert answer.params["replace_original"] in (True, "true") and "not propaganda" in answer.params["text"]
    (record,) = rig.app.core.history.recent("slack", "C0001")
    assert (record.status, record.reason) == ("disputed", "not-propaganda")
    listing = await _dispatch(rig, slash_command("feedback", rig.api.response_url("f")))
    assert "Disputed (1):" in listing["text"] and "reason: not propaganda" in listing["text"]
    assert "Confirmed" not in listing["text"]


async def test_the_question_and_the_thanks_follow_the_channel_language(rig: SlackRig) -> None:
    rig.app.core.channels.change("slack", "C0001", ["language", "uk"], "UADMIN")
    value = await _alert(rig)
    await _dispatch(rig, button_click("feedback_wrong", value, rig.api.response_url("w")))
    (prompt,) = rig.api.calls_to("chat.postEphemeral")
    title = narrative().title_in("uk")
    thanks = f"Дякуємо — записано, що «{title}» тут визначено хибно."
    assert prompt.params["text"] == f"{thanks} Чому збіг хибний? (необов'язково)"
    buttons = _reason_buttons(prompt.params["blocks"])
    assert [b["text"]["text"] for b in buttons] == ["Не той наратив", "Не пропаганда", "Це фактчек", "Інше"]
    await _dispatch(rig, button_click(buttons[0]["action_id"], buttons[0]["value"], rig.api.response_url("why")))
    (answer,) = [c for c in rig.api.calls_to("response_url") if c.params["_name"] == "why"]
    assert answer.params["text"] == (
        "Дякуємо — зазначено: не той наратив. Редактори побачать це в `narrative-bot feedback list`."
    )
    listing = await _dispatch(rig, slash_command("feedback", rig.api.response_url("f")))
    assert listing["text"].startswith("Оскаржені (1):\n") and "причина: не той наратив" in listing["text"]
    recent = await _dispatch(rig, slash_command("recent", rig.api.response_url("r")))
    assert recent["text"].startswith("1 останнє сповіщення тут, спершу новіші:\n")
    assert recent["text"].endswith(" — правильно: 0, хибно: 1 (не той наратив)")


async def test_the_question_reaches_the_user_through_the_response_url_when_ephemerals_fail(rig: SlackRig) -> None:
    value = await _alert(rig)
    rig.api.errors["chat.postEphemeral"] = "channel_not_found"
    await _dispatch(rig, button_click("feedback_wrong", value, rig.api.response_url("fallback")))
    (answer,) = [c for c in rig.api.calls_to("response_url") if c.params["_name"] == "fallback"]
    assert len(_reason_buttons(answer.params["blocks"])) == 4


async def test_a_tampered_reason_is_ignored(rig: SlackRig) -> None:
    value = await _alert(rig)
    await _dispatch(rig, button_click("feedback_wrong", value, rig.api.response_url("w")))
    await _dispatch(rig, button_click("feedback_reason_x", f"because|{value}", rig.api.response_url("bad")))
    assert [c for c in rig.api.calls_to("response_url") if c.params["_name"] == "bad"] == []
    (record,) = rig.app.core.history.recent("slack", "C0001")
    assert record.reason is None and record.wrong == 1


async def test_the_buttons_carry_the_cards_language_and_the_thanks_follow_it(rig: SlackRig) -> None:
    await _alert(rig)  # a Russian text, in a channel with no language setting: a Russian card
    (card,) = rig.api.calls_to("chat.postMessage")
    right, wrong = _reason_buttons(card.params["blocks"])
    assert right["value"] == f"{narrative().id}|{TS}|ru" and wrong["value"] == right["value"]
    await _dispatch(rig, button_click("feedback_wrong", wrong["value"], rig.api.response_url("w")))
    (prompt,) = rig.api.calls_to("chat.postEphemeral")
    title = narrative().title_in("ru")
    assert prompt.params["text"] == (
        f"Спасибо — записано, что «{title}» здесь определён ошибочно. Почему совпадение ошибочное? (необязательно)"
    )
    buttons = _reason_buttons(prompt.params["blocks"])
    assert [b["text"]["text"] for b in buttons] == ["Не тот нарратив", "Не пропаганда", "Это фактчек", "Другое"]
    assert buttons[2]["value"] == f"fact-check|{narrative().id}|{TS}|ru"
    await _dispatch(rig, button_click(buttons[2]["action_id"], buttons[2]["value"], rig.api.response_url("why")))
    (answer,) = [c for c in rig.api.calls_to("response_url") if c.params["_name"] == "why"]
    assert answer.params["text"] == (
        "Спасибо — отмечено: это фактчек. Редакторы увидят это в `narrative-bot feedback list`."
    )
    (record,) = rig.app.core.history.recent("slack", "C0001")
    assert (record.status, record.reason) == ("disputed", "fact-check")
    # A ✅ on the same card: thanked in Russian too.
    await _dispatch(rig, button_click("feedback_correct", right["value"], rig.api.response_url("r")))
    thanks = rig.api.calls_to("chat.postEphemeral")[-1]
    assert thanks.params["text"] == f"Спасибо — записано, что «{title}» здесь определён верно."
