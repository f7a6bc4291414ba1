"""docker-compose.yml: PostgreSQL and two bot replicas, running real subcommands, with no secret in the file."""

from __future__ import annotations

from typing import Any

import yaml

from bot.cli import build_parser
from bot.config import load_settings
from tests.conftest import ROOT

COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def test_postgres_and_two_replicas_after_the_migration() -> None:
    services = COMPOSE["services"]
    assert services["db"]["image"].startswith("postgres:")
    assert services["bot"]["deploy"]["replicas"] == 2
    assert services["bot"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    parser = build_parser()
    for name in ("migrate", "bot"):
        command = services[name]["command"]
        assert command[0] == "narrative-bot"
        parser.parse_args(command[1:])  # exits if the subcommand does not exist
    assert services["migrate"]["command"] == ["narrative-bot", "db", "migrate"]


def test_the_bots_database_setting_is_a_postgres_url_without_a_password_in_the_file() -> None:
    for name in ("migrate", "bot"):
        url = COMPOSE["services"][name]["environment"]["NARRATIVE_BOT_DB"]
        assert "${POSTGRES_PASSWORD" in url
        filled = url.replace("${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}", "pw")
        assert load_settings({"NARRATIVE_BOT_DB": filled}).postgres_dsn.get() == filled
    assert "${POSTGRES_PASSWORD" in COMPOSE["services"]["db"]["environment"]["POSTGRES_PASSWORD"]
