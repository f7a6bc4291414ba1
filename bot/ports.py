"""Contracts between the feed poller and the chat adapters that post its alerts."""

from __future__ import annotations

from typing import Protocol

from bot.models import FeedAlert, FeedNotice


class AlertSender(Protocol):
    """Posts feed alerts and notices to one platform's channels.

    `send_alert` raises on failure (rate limit exhausted, network down, channel gone): the poller keeps the alert
    pending and tries again later, so nothing is lost; it is marked posted only after `send_alert` returns.
    """

    platform: str

    async def send_alert(self, alert: FeedAlert) -> None: ...

    async def send_notice(self, notice: FeedNotice) -> None: ...
