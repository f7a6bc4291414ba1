"""slack-manifest.yaml: exactly what the adapter uses, within Slack's manifest limits, so creation is one paste."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.adapters.slack import CHECK_SHORTCUT, COMMAND

MANIFEST = Path(__file__).resolve().parents[2] / "slack-manifest.yaml"


def _manifest() -> dict[str, Any]:
    data = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_scopes_events_command_and_socket_mode() -> None:
    manifest = _manifest()
    assert manifest["oauth_config"]["scopes"] == {
        "bot": [
            "channels:history", "groups:history", "chat:write", "commands", "reactions:write", "users:read",
            "usergroups:read", "files:write",
        ]
    }
    settings = manifest["settings"]
    assert settings["event_subscriptions"]["bot_events"] == ["message.channels", "message.groups", "app_home_opened"]
    (shortcut,) = manifest["features"]["shortcuts"]
    assert (shortcut["type"], shortcut["callback_id"]) == ("message", CHECK_SHORTCUT)
    assert len(shortcut["name"]) <= 24 and len(shortcut["description"]) <= 80  # Slack's limits
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is True
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == COMMAND
    assert "url" not in command  # Socket Mode needs no public URL
    assert "request_url" not in settings["event_subscriptions"]


def test_texts_within_slack_manifest_limits() -> None:
    manifest = _manifest()
    info = manifest["display_information"]
    assert len(info["name"]) <= 35
    assert len(info["description"]) <= 140
    assert 175 <= len(info["long_description"]) <= 4000
    assert len(manifest["features"]["bot_user"]["display_name"]) <= 80
    (command,) = manifest["features"]["slash_commands"]
    assert len(command["description"]) <= 2000
    assert len(command["usage_hint"]) <= 1000
