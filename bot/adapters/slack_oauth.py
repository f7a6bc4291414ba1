"""Slack OAuth: one app installed in several workspaces, its installations kept in the bot's database."""

from __future__ import annotations

from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings

from bot.config import Settings
from bot.slack_installations import DatabaseInstallationStore, DatabaseStateStore, SlackInstallations
from bot.store import Store

# The bot scopes an install asks for: those of slack-manifest.yaml (a test keeps the two equal).
BOT_SCOPES = (
    "channels:history",
    "groups:history",
    "chat:write",
    "commands",
    "reactions:write",
    "users:read",
    "usergroups:read",
    "files:write",
)
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"


def oauth_settings(settings: Settings, store: Store) -> AsyncOAuthSettings:
    """Bolt's OAuth settings: our client id and secret, the installation and state stores over our database."""
    return AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get(),
        scopes=list(BOT_SCOPES),
        redirect_uri=settings.slack_install_url,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        installation_store=DatabaseInstallationStore(SlackInstallations(store)),
        installation_store_bot_only=True,
        state_store=DatabaseStateStore(store),
    )
