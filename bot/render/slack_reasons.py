"""The optional "why was it wrong?" prompt that follows a ❌ on Slack, as Block Kit, and its button values."""

from __future__ import annotations

from bot.history import REASONS
from bot.render.i18n import reason_label, word
from bot.render.slack_blocks import BUTTON_VALUE_MAX, Block, SlackMessage, escape, split_language, with_language
from matchers import Lang

ACTION_REASON = "feedback_reason"


def reason_value(reason: str, narrative_id: str, message_ref: str, lang: Lang | None = None) -> str:
    return with_language(f"{reason}|{narrative_id}|{message_ref}", lang)[:BUTTON_VALUE_MAX]


def parse_reason_value(value: str) -> tuple[str, str, str, Lang | None] | None:
    """(reason, narrative id, message ref, the language the prompt was in), or None for a value this prompt never
    made. A prompt made before buttons carried a language has none."""
    reason, _, rest = value.partition("|")
    narrative_id, _, tail = rest.partition("|")
    message_ref, lang = split_language(tail)
    if reason not in REASONS or not narrative_id or not message_ref:
        return None
    return reason, narrative_id, message_ref, lang


def reason_prompt(thanks: str, narrative_id: str, message_ref: str, lang: Lang = "en") -> SlackMessage:
    """The thanks for a ❌, then one button per reason, in `lang`; answering is optional, the ❌ is already
    stored."""
    ask = word("reason_ask", lang)
    blocks: list[Block] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"{escape(thanks)}\n{ask}"}},
        {
            "type": "actions",
            "block_id": f"reason-{narrative_id}"[:255],
            "elements": [
                {
                    "type": "button",
                    "action_id": f"{ACTION_REASON}_{key}",
                    "text": {"type": "plain_text", "text": reason_label(key, lang), "emoji": True},
                    "value": reason_value(key, narrative_id, message_ref, lang),
                }
                for key in REASONS
            ],
        },
    ]
    return SlackMessage(f"{thanks} {ask}", blocks)
