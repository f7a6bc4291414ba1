"""Slack workspaces installed through OAuth, kept in the bot's database: Bolt's installation and state stores.

One app serves several workspaces: each install stores that workspace's bot token here, and everything the bot
posts for a workspace (replies, feed alerts, digests) goes out with that workspace's own token. Only bot scopes
are asked for, so one row per workspace is all there is. Tokens are secrets: no log line and no repr names one.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from typing import Any

from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore

from bot.store import Store

logger = logging.getLogger(__name__)

STATE_TTL_S = 600.0  # an install flow left open longer than this starts again

_COLUMNS = (
    "team_id, enterprise_id, team_name, app_id, bot_token, bot_id, bot_user_id, bot_scopes, installer_user_id, "
    "installed_at"
)


def _scopes(value: Any) -> str:
    if isinstance(value, str):
        return value
    return ",".join(str(v) for v in value or ())


class SlackInstallations:
    """The installed workspaces: who they are and each one's bot token."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def save(
        self,
        team_id: str,
        *,
        bot_token: str,
        bot_id: str,
        bot_user_id: str,
        bot_scopes: str = "",
        enterprise_id: str | None = None,
        team_name: str | None = None,
        app_id: str | None = None,
        installer_user_id: str | None = None,
    ) -> None:
        """Keep (or replace, on a reinstall) a workspace's installation."""
        if not team_id or not bot_token:
            raise ValueError("an installation needs a team id and a bot token")
        with self.store.transaction() as db:
            db.execute(
                f"""INSERT INTO slack_installations ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (team_id) DO UPDATE SET enterprise_id = excluded.enterprise_id,
                        team_name = excluded.team_name, app_id = excluded.app_id, bot_token = excluded.bot_token,
                        bot_id = excluded.bot_id, bot_user_id = excluded.bot_user_id,
                        bot_scopes = excluded.bot_scopes, installer_user_id = excluded.installer_user_id,
                        installed_at = excluded.installed_at""",
                (team_id, enterprise_id, team_name, app_id, bot_token, bot_id, bot_user_id, bot_scopes,
                 installer_user_id, self.store.clock()),
            )
        logger.info("Slack workspace %s (%s) installed", team_id, team_name or "?")

    def bot_token(self, team_id: str) -> str | None:
        rows = self.store.query("SELECT bot_token FROM slack_installations WHERE team_id = ?", (team_id,))
        return str(rows[0][0]) if rows else None

    def row(self, team_id: str) -> dict[str, Any] | None:
        rows = self.store.query(f"SELECT {_COLUMNS} FROM slack_installations WHERE team_id = ?", (team_id,))
        return dict(rows[0]) if rows else None

    def teams(self) -> list[str]:
        return [str(r[0]) for r in self.store.query("SELECT team_id FROM slack_installations ORDER BY team_id")]

    def delete(self, team_id: str) -> int:
        """Forget a workspace that removed the app (its subscriptions and settings stay, for a reinstall)."""
        with self.store.transaction() as db:
            removed = db.execute("DELETE FROM slack_installations WHERE team_id = ?", (team_id,)).rowcount
        if removed:
            logger.info("Slack workspace %s uninstalled", team_id)
        return removed


class DatabaseInstallationStore(AsyncInstallationStore):
    """Bolt's installation store over `slack_installations`: bot installs only, one per workspace."""

    def __init__(self, installations: SlackInstallations) -> None:
        self.installations = installations

    @property
    def logger(self) -> logging.Logger:
        return logger

    async def async_save(self, installation: Installation) -> None:
        await self.async_save_bot(installation.to_bot())

    async def async_save_bot(self, bot: Bot) -> None:
        if not bot.team_id or not bot.bot_token:
            raise ValueError("only workspace installs with a bot token are supported")
        self.installations.save(
            bot.team_id,
            bot_token=bot.bot_token,
            bot_id=bot.bot_id,
            bot_user_id=bot.bot_user_id,
            bot_scopes=_scopes(bot.bot_scopes),
            enterprise_id=bot.enterprise_id,
            team_name=bot.team_name,
            app_id=bot.app_id,
        )

    async def async_find_bot(
        self, *, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None = False
    ) -> Bot | None:
        row = self.installations.row(team_id) if team_id else None
        if row is None:
            return None
        return Bot(
            app_id=row["app_id"], enterprise_id=row["enterprise_id"], team_id=row["team_id"],
            team_name=row["team_name"], bot_token=row["bot_token"], bot_id=row["bot_id"],
            bot_user_id=row["bot_user_id"], bot_scopes=row["bot_scopes"], installed_at=float(row["installed_at"]),
        )

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        row = self.installations.row(team_id) if team_id else None
        if row is None:
            return None
        return Installation(
            app_id=row["app_id"], enterprise_id=row["enterprise_id"], team_id=row["team_id"],
            team_name=row["team_name"], bot_token=row["bot_token"], bot_id=row["bot_id"],
            bot_user_id=row["bot_user_id"], bot_scopes=row["bot_scopes"],
            user_id=row["installer_user_id"] or "", installed_at=float(row["installed_at"]),
        )

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        if team_id:
            self.installations.delete(team_id)

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        if team_id and user_id is None:
            self.installations.delete(team_id)

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        if team_id:
            self.installations.delete(team_id)


class DatabaseStateStore(AsyncOAuthStateStore):
    """One-time `state` values of install flows, shared by every replica (a flow may start on one and end on
    another); each is good once, for STATE_TTL_S."""

    def __init__(self, store: Store, *, ttl_s: float = STATE_TTL_S, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.ttl_s = ttl_s
        self.clock = clock

    @property
    def logger(self) -> logging.Logger:
        return logger

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        state = secrets.token_urlsafe(24)
        now = self.clock()
        with self.store.transaction() as db:
            db.execute("DELETE FROM slack_oauth_states WHERE expires_at < ?", (now,))
            db.execute("INSERT INTO slack_oauth_states (state, expires_at) VALUES (?, ?)", (state, now + self.ttl_s))
        return state

    async def async_consume(self, state: str) -> bool:
        with self.store.transaction() as db:
            row = db.execute(
                "DELETE FROM slack_oauth_states WHERE state = ? RETURNING expires_at", (state,)
            ).fetchone()
        return row is not None and float(row[0]) >= self.clock()
