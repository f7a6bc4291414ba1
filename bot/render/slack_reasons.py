"""The optional "why was it wrong?" prompt that follows a ❌ on Slack, as Block Kit, and its button values."""

from __future__ import annotations

from bot.history import REASONS
from bot.render.slack_blocks import BUTTON_VALUE_MAX, Block, SlackMessage, escape

ACTION_REASON = "feedback_reason"


def reason_value(reason: str, narrative_id: str, message_ref: str) -> str:
    return f"{reason}|{narrative_id}|{message_ref}"[:BUTTON_VALUE_MAX]


def parse_reason_value(value: str) -> tuple[str, str, str] | None:
    """(reason, narrative id, message ref), or None for a value this prompt never made."""
    reason, _, rest = value.partition("|")
    narrative_id, _, message_ref = rest.partition("|")
    if reason not in REASONS or not narrative_id or not message_ref:
        return None
    return reason, narrative_id, message_ref


def reason_prompt(thanks: str, narrative_id: str, message_ref: str) -> SlackMessage:
    """The thanks for a ❌, then one button per reason; answering is optional, the ❌ is already stored."""
    blocks: list[Block] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"{escape(thanks)}\nWhy was it wrong? (optional)"}},
        {
            "type": "actions",
            "block_id": f"reason-{narrative_id}"[:255],
            "elements": [
                {
                    "type": "button",
                    "action_id": f"{ACTION_REASON}_{key}",
                    "text": {"type": "plain_text", "text": label, "emoji": True},
                    "value": reason_value(key, narrative_id, message_ref),
                }
                for key, label in REASONS.items()
            ],
        },
    ]
    return SlackMessage(f"{thanks} Why was it wrong? (optional)", blocks)
