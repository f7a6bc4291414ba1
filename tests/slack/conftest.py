"""Fixtures for the Slack tests: a fake Web API, article pages, and the bot wired to them, all on loopback."""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack import build_slack_app
from bot.app import App, build_app
from bot.config import Secret, Settings, bundled_library_path
from matchers import Narrative, load_library
from tests.slack.fakeslack import BOT_TOKEN, SIGNING_SECRET, FakeSlackApi, PageServer, article_html

NEUTRAL_PARAGRAPHS = [
    "В субботу в столице ожидается солнечная погода, температура воздуха поднимется до двадцати градусов.",
    "В воскресенье возможен небольшой дождь, синоптики советуют взять зонт на прогулку в парк.",
]


def narrative(narrative_id: str = "sanctions-illegitimate") -> Narrative:
    found = load_library(bundled_library_path()).get(narrative_id)
    assert found is not None, f"the shipped library has no {narrative_id}"
    return found


def propaganda_paragraphs(narrative_id: str = "sanctions-illegitimate") -> list[str]:
    """The narrative's own examples from the shipped library, inside an otherwise ordinary news page."""
    return [
        "Министры иностранных дел двух стран провели переговоры в Москве и обсудили торговлю и транспорт.",
        *narrative(narrative_id).examples[:2],
        "Стороны договорились продолжить контакты в ближайшие месяцы.",
    ]


@dataclass
class SlackRig:
    api: FakeSlackApi
    pages: PageServer
    app: App
    bolt: AsyncApp
    client: AsyncWebClient


@pytest.fixture
async def api() -> AsyncIterator[FakeSlackApi]:
    fake = await FakeSlackApi().start()
    yield fake
    await fake.stop()


@pytest.fixture
async def pages() -> AsyncIterator[PageServer]:
    server = await PageServer().start()
    server.pages["/propaganda"] = article_html("Москва и Пхеньян: новая страница", propaganda_paragraphs())
    server.pages["/neutral"] = article_html("Погода на выходные", NEUTRAL_PARAGRAPHS)
    yield server
    await server.stop()


def rig_settings(tmp_path: Path, api: FakeSlackApi, pages: PageServer, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "semantic": False,
        "db_path": tmp_path / "state.sqlite3",
        "allow_nets": (ipaddress.ip_network("127.0.0.0/8"),),
        "allowed_ports": (pages.port,),
        "slack_bot_token": Secret(BOT_TOKEN),
        "slack_signing_secret": Secret(SIGNING_SECRET),
        "slack_api_url": api.url,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
async def rig(tmp_path: Path, api: FakeSlackApi, pages: PageServer) -> AsyncIterator[SlackRig]:
    app = build_app(rig_settings(tmp_path, api, pages))
    client = AsyncWebClient(token=BOT_TOKEN, base_url=api.url)
    # process_before_response: the event is fully handled when dispatch returns, so tests need no sleeps.
    bolt = build_slack_app(app, client=client, process_before_response=True, pace_s=0.0)
    yield SlackRig(api, pages, app, bolt, client)
    await app.aclose()
