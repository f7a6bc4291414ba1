"""The Block Kit renderer: card contents, escaping and Slack's size limits with very long texts."""

from __future__ import annotations

import json
from typing import Any

from bot.models import (
    ArticleRef,
    CommandResponse,
    FeedRef,
    Finding,
    LinkProblem,
    MessageOutcome,
    SourceLink,
    Verdict,
)
from bot.render.slack_blocks import (
    ACTION_CORRECT,
    ACTION_WRONG,
    HEADER_MAX,
    MAX_BLOCKS,
    SECTION_MAX,
    feedback_value,
    parse_feedback_value,
    render_alert,
    render_outcome,
    render_response,
)
from bot.render.slack_reasons import parse_reason_value


def _finding(narrative_id: str = "sanctions-illegitimate", *, long: bool = False, level: str = "alert") -> Finding:
    words = "Sanctions <b>are</b> illegitimate & imposed by the West " * (400 if long else 1)
    return Finding(
        narrative_id=narrative_id,
        title=("A very long narrative title " * 20) if long else "UN sanctions on the DPRK are illegitimate",
        score=77,
        level=level,  # type: ignore[arg-type]
        evidence=words,
        matched="sanctions are illegitimate",
        debunk=(
            "The sanctions were adopted unanimously by the Security Council, Russia included. " * (200 if long else 1)
        ),
        sources=tuple(
            SourceLink(f"Source {i} | <odd> title", f"https://example.org/s/{i}") for i in range(40 if long else 2)
        ),
    )


def _verdict(long: bool = False, n: int = 1) -> Verdict:
    findings = tuple(_finding(f"narrative-{i}", long=long) for i in range(n)) if n > 1 else (_finding(long=long),)
    return Verdict(
        findings=findings,
        article=ArticleRef(url="https://news.example/a?x=1&y=2", title="Pyongyang and Moscow > all", site="News"),
    )


def _texts(blocks: list[dict[str, Any]]) -> list[str]:
    out = []
    for block in blocks:
        if "text" in block:
            out.append(block["text"]["text"])
        for element in block.get("elements", []):
            if "text" in element:
                out.append(element["text"] if isinstance(element["text"], str) else element["text"]["text"])
    return out


def _check_limits(blocks: list[dict[str, Any]]) -> None:
    assert len(blocks) <= MAX_BLOCKS
    block_ids = [b["block_id"] for b in blocks if "block_id" in b]
    assert len(block_ids) == len(set(block_ids))
    for block in blocks:
        if block["type"] == "header":
            assert block["text"]["type"] == "plain_text"
            assert len(block["text"]["text"]) <= HEADER_MAX
        if block["type"] == "section":
            assert 0 < len(block["text"]["text"]) <= SECTION_MAX
        if block["type"] == "context":
            assert 0 < len(block["elements"]) <= 10
            assert all(len(e["text"]) <= 3000 for e in block["elements"])
        if block["type"] == "actions":
            for button in block["elements"]:
                assert len(button["text"]["text"]) <= 75
                assert len(button["value"]) <= 2000


def test_card_has_title_evidence_confidence_debunk_sources_article_and_buttons() -> None:
    message = render_outcome(MessageOutcome(verdicts=(_verdict(),)), "1712345678.000100")
    _check_limits(message.blocks)
    texts = "\n".join(_texts(message.blocks))
    assert message.blocks[0]["type"] == "header"
    assert "UN sanctions on the DPRK are illegitimate" in message.blocks[0]["text"]["text"]
    assert "Sanctions &lt;b&gt;are&lt;/b&gt; illegitimate &amp; imposed" in texts  # page text cannot inject markup
    assert "77/100" in texts
    assert "Security Council" in texts
    assert "<https://example.org/s/0|Source 0 ¦ &lt;odd&gt; title>" in texts
    assert "<https://news.example/a?x=1&y=2|Pyongyang and Moscow &gt; all (News)>" in texts
    actions = [b for b in message.blocks if b["type"] == "actions"]
    assert len(actions) == 1
    ids = [e["action_id"] for e in actions[0]["elements"]]
    assert ids == [ACTION_CORRECT, ACTION_WRONG]
    assert parse_feedback_value(actions[0]["elements"][0]["value"]) == (
        "sanctions-illegitimate",
        "1712345678.000100",
        "en",
    )
    assert message.text.startswith("Known narrative: UN sanctions on the DPRK are illegitimate")


def test_very_long_texts_stay_within_block_kit_limits() -> None:
    outcome = MessageOutcome(
        verdicts=tuple(_verdict(long=True, n=3) for _ in range(8)),
        problems=tuple(LinkProblem(f"https://x.example/{i}", "http_error", "404 " * 900) for i in range(20)),
    )
    message = render_outcome(outcome, "1.2")
    _check_limits(message.blocks)
    assert len(message.text) <= 3000
    assert message.blocks[-1]["type"] == "context"  # the "more not shown" note
    assert "more not shown" in message.blocks[-1]["elements"][0]["text"]
    json.dumps(message.blocks)  # plain JSON, nothing SDK-specific


def test_problems_only_reply_and_fallback() -> None:
    message = render_outcome(
        MessageOutcome(problems=(LinkProblem("https://x.example/p", "timeout", "Too slow."),)), "1.2"
    )
    _check_limits(message.blocks)
    assert message.text == "Could not read https://x.example/p: Too slow."
    assert "Too slow." in message.blocks[0]["elements"][0]["text"]


def test_feed_alert_names_the_feed_and_item() -> None:
    verdict = Verdict(
        findings=(_finding(),),
        article=ArticleRef(url="https://t.me/somechannel/42", title="Post 42", site="Telegram"),
        feed=FeedRef(url="https://t.me/s/somechannel", title="Some channel"),
    )
    message = render_alert(verdict, "alert:7")
    _check_limits(message.blocks)
    texts = "\n".join(_texts(message.blocks))
    assert "<https://t.me/s/somechannel|Some channel>" in texts
    assert "https://t.me/somechannel/42" in texts
    value = next(b for b in message.blocks if b["type"] == "actions")["elements"][1]["value"]
    assert parse_feedback_value(value) == ("sanctions-illegitimate", "alert:7", "en")


def test_feedback_values_carry_the_cards_language_and_older_ones_still_parse() -> None:
    assert feedback_value("troops-denial", "alert:7", "uk") == "troops-denial|alert:7|uk"
    assert parse_feedback_value("troops-denial|alert:7|uk") == ("troops-denial", "alert:7", "uk")
    assert parse_feedback_value("troops-denial|1712345678.000100") == ("troops-denial", "1712345678.000100", None)
    assert parse_feedback_value("troops-denial|uk") == ("troops-denial", "uk", None)  # a ref, not a language
    assert parse_reason_value("other|troops-denial|alert:7|ru") == ("other", "troops-denial", "alert:7", "ru")
    assert parse_reason_value("other|troops-denial|alert:7") == ("other", "troops-denial", "alert:7", None)


def test_command_response_long_text_is_split_and_cards_follow() -> None:
    long_list = "\n".join(f"• `narrative-{i}` — title {i} " + "x" * 80 for i in range(200))
    message = render_response(CommandResponse(long_list))
    _check_limits(message.blocks)
    assert all(b["type"] == "section" for b in message.blocks)
    assert len(message.blocks) > 1
    checked = render_response(CommandResponse("Narrative found.", verdicts=(_verdict(long=True, n=3),)))
    _check_limits(checked.blocks)
    assert checked.blocks[0]["text"]["text"] == "Narrative found."
    assert any(b["type"] == "header" for b in checked.blocks)
    assert checked.text.startswith("Narrative found.\nKnown narrative:")


def test_suggestion_level_card_says_possible() -> None:
    verdict = Verdict(findings=(_finding(level="suggest"),))
    message = render_response(CommandResponse("Possible narrative.", verdicts=(verdict,)))
    header = next(b for b in message.blocks if b["type"] == "header")
    assert "Possible narrative" in header["text"]["text"]
    assert "below the alert threshold" in message.text
