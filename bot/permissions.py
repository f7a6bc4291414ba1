"""Who may change what the bot does in a channel (its settings and feeds); reading stays open to everyone.

Discord asks the member's Manage Channels permission, which comes with the interaction. Slack has no such
permission per channel: there workspace admins and owners may, and the members of one user group of the workspace
(NARRATIVE_BOT_SLACK_ADMIN_GROUP) when it is set. A user group belongs to one workspace, so an app installed in
several names one group per workspace: `T0ALPHA:S0123,T0BETA:S0456` (a bare `S0123` serves every workspace the list
does not name).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.render.i18n import word
from matchers import Lang

logger = logging.getLogger(__name__)

SLACK_CHECK_TIMEOUT_S = 2.0  # the whole check must fit in Slack's 3 s acknowledgement window
CACHE_S = 60.0  # an admin made or unmade counts within a minute; a burst of commands costs one lookup


def changes_channel(text: str) -> bool:
    """Whether a `/narrative` command (its text after `/narrative`) changes the channel: `settings NAME …`,
    `feeds add|remove` and `digest on|off`. `settings` alone, `settings show`, `feeds list` and `digest` alone
    only read."""
    words = text.strip().lower().split()
    if words[:1] == ["/narrative"]:
        words = words[1:]
    if not words:
        return False
    if words[0] == "settings":
        return len(words) > 1 and words[1] not in ("show", "list")
    if words[0] == "digest":
        return len(words) > 1 and words[1] in ("on", "off")
    return words[0] == "feeds" and len(words) > 1 and words[1] in ("add", "remove")


@dataclass(frozen=True)
class Decision:
    allowed: bool
    refusal: str = ""


def discord_refusal(lang: Lang = "en", *, digest: bool = False) -> str:
    """Why a Discord member may not change the channel: settings changes and feed subscriptions post into (or
    silence) a channel for everybody in it, and so does the digest, which names itself."""
    return word("refusal_discord_digest" if digest else "refusal_discord", lang)


def slack_refusal(group: str, lang: Lang = "en") -> str:
    """Why a Slack user may not change the channel, naming who may (the user group, when one is configured)."""
    return word("refusal_slack", lang, group=word("refusal_slack_group", lang, group=group) if group else "")


class SlackPermissions:
    """Asks Slack whether a user may change settings and feeds: users.info (is_admin, is_owner), then, when a
    group is configured, usergroups.users.list. Answers are kept a minute per user."""

    def __init__(
        self, client: AsyncWebClient, admin_group: str = "", *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.client = client
        self.admin_group = admin_group
        self.clock = clock
        self._cache: dict[str, tuple[float, bool]] = {}

    async def may_change(self, user_id: str, lang: Lang = "en") -> Decision:
        """Whether `user_id` may change the channel; a refusal says why in `lang`."""
        if not user_id:
            return Decision(False, slack_refusal(self.admin_group, lang))
        cached = self._cache.get(user_id)
        if cached is not None and self.clock() - cached[0] < CACHE_S:
            allowed = cached[1]
        else:
            try:
                allowed = await asyncio.wait_for(self._ask(user_id), SLACK_CHECK_TIMEOUT_S)
            except (SlackApiError, TimeoutError, OSError) as exc:
                # Refuse rather than allow: a change nobody may make is better than one anybody may.
                logger.warning("could not check whether %s may change settings: %s", user_id, _describe(exc))
                return Decision(False, word("refusal_slack_unchecked", lang))
            self._cache[user_id] = (self.clock(), allowed)
        return Decision(True) if allowed else Decision(False, slack_refusal(self.admin_group, lang))

    async def _ask(self, user_id: str) -> bool:
        info = await self.client.users_info(user=user_id)
        user: Mapping[str, Any] = info.get("user") or {}
        if user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"):
            return True
        if not self.admin_group:
            return False
        members = await self.client.usergroups_users_list(usergroup=self.admin_group)
        return user_id in (members.get("users") or ())


def _describe(exc: BaseException) -> str:
    if isinstance(exc, SlackApiError):
        data = getattr(exc.response, "data", None)
        if isinstance(data, Mapping):
            return str(data.get("error", "error"))
    return type(exc).__name__
