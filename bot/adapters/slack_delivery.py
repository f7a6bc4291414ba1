"""Slack delivery markers: the message metadata that names a post, and finding that post again in history."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# Slack's metadata event types are lower-case words joined by underscores; ours names what the payload carries.
EVENT_TYPE = "narrative_bot_delivery"
# How far back of the first attempt a history lookup starts: our clock and Slack's may disagree by a little.
CLOCK_SLACK_S = 120.0
# One page of history, Slack's recommended page size: the post being looked for is at most this many messages
# back in its channel (or thread) for the lookup to see it. The README states this bound.
LOOKBACK_MESSAGES = 200


def delivery_metadata(key: str) -> dict[str, Any]:
    """The `metadata` argument of chat.postMessage that marks a post with our delivery key."""
    return {"event_type": EVENT_TYPE, "event_payload": {"delivery_key": key}}


def find_delivered(messages: Iterable[Any], key: str) -> str | None:
    """The ts of the message in a conversations.history/replies page that carries our key, if any."""
    for message in messages:
        if not isinstance(message, Mapping):
            continue
        metadata = message.get("metadata")
        if not isinstance(metadata, Mapping) or metadata.get("event_type") != EVENT_TYPE:
            continue
        payload = metadata.get("event_payload")
        if isinstance(payload, Mapping) and payload.get("delivery_key") == key and isinstance(message.get("ts"), str):
            return str(message["ts"])
    return None


def oldest_for(since: float) -> str:
    """The `oldest` bound of a lookup for a post first attempted at `since` (seconds since the epoch)."""
    return f"{max(since - CLOCK_SLACK_S, 0.0):.6f}"

