"""Slack OAuth: workspaces install the app through Bolt's install pages on loopback (a fake oauth.v2.access), their
tokens land in our database and never in a log, and each workspace's events are answered with its own token."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
import yaml
from aiohttp import web
from slack_bolt.app.async_server import AsyncSlackAppServer
from slack_bolt.async_app import AsyncApp, AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack import build_slack_app
from bot.adapters.slack_oauth import BOT_SCOPES, INSTALL_PATH, REDIRECT_PATH
from bot.app import App, build_app
from bot.slack_installations import SlackInstallations
from tests.slack.conftest import narrative, rig_settings
from tests.slack.fakeslack import FakeSlackApi, PageServer, Workspace, message_event, signed_headers
from tests.slack.test_slack_tenants import oauth_overrides

ROOT = Path(__file__).resolve().parents[2]
STATE_COOKIE = "slack-app-oauth-state"  # Bolt's default cookie name
GAMMA = Workspace("TGAMMA", "xoxb-gamma-secret-token", name="Gamma", bot_user_id="UBOTG", code="code-gamma")
DELTA = Workspace("TDELTA", "xoxb-delta-secret-token", name="Delta", bot_user_id="UBOTD", code="code-delta")


@dataclass
class InstallRig:
    api: FakeSlackApi
    app: App
    bolt: AsyncApp
    base: str  # the bot's HTTP server on loopback

    async def start(self, session: aiohttp.ClientSession) -> str:
        """Open the install page as a browser does: the state in its link to Slack, which the page also sets as
        a cookie (a Secure one: the browser, on https, sends it back with the redirect; here the test does)."""
        async with session.get(f"{self.base}{INSTALL_PATH}", allow_redirects=False) as page:
            assert page.status == 200
            html = await page.text()
            cookies = page.headers.getall("Set-Cookie", [])
        found = re.search(r"state=([A-Za-z0-9_\-]+)", html)
        assert found, "the install page links to Slack's authorize URL with a state"
        assert any(c.startswith(f"{STATE_COOKIE}={found.group(1)};") for c in cookies)
        return found.group(1)

    async def install(self, workspace: Workspace, session: aiohttp.ClientSession) -> int:
        """The whole install flow; the HTTP status of the page Slack's redirect lands on."""
        return await self.finish(await self.start(session), workspace.code, session)

    async def finish(self, state: str, code: str, session: aiohttp.ClientSession) -> int:
        url = f"{self.base}{REDIRECT_PATH}?code={code}&state={state}"
        headers = {"Cookie": f"{STATE_COOKIE}={state}"}
        async with session.get(url, allow_redirects=False, headers=headers) as answer:
            return answer.status


@pytest.fixture
async def installing(
    tmp_path: Path, state_location: Path | str, api: FakeSlackApi, pages: PageServer
) -> AsyncIterator[InstallRig]:
    app = build_app(rig_settings(tmp_path, api, pages, **oauth_overrides(state_location)))
    for workspace in (GAMMA, DELTA):
        api.add_workspace(workspace)
    bolt = build_slack_app(app, client=AsyncWebClient(base_url=api.url), process_before_response=True, pace_s=0.0)
    server = AsyncSlackAppServer(port=0, path="/slack/events", app=bolt)
    runner = web.AppRunner(server.web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield InstallRig(api, app, bolt, f"http://127.0.0.1:{runner.addresses[0][1]}")
    await runner.cleanup()
    await app.aclose()


def browser() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar(), trust_env=False)


async def test_an_install_stores_the_workspace_token_and_never_logs_it(
    installing: InstallRig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with browser() as session:
        assert await installing.install(GAMMA, session) == 200
    installations = SlackInstallations(installing.app.store)
    assert installations.teams() == [GAMMA.team_id]
    assert installations.bot_token(GAMMA.team_id) == GAMMA.bot_token
    (exchange,) = installing.api.calls_to("oauth.v2.access")
    assert exchange.params.get("code") == GAMMA.code
    assert GAMMA.bot_token not in caplog.text
    assert "TGAMMA" in caplog.text  # the install itself is logged, by team


async def test_a_state_is_good_once_and_a_forged_one_installs_nothing(installing: InstallRig) -> None:
    async with browser() as session:
        state = await installing.start(session)
        assert await installing.finish("forged-state", GAMMA.code, session) != 200
        assert SlackInstallations(installing.app.store).teams() == []
        assert await installing.finish(state, GAMMA.code, session) == 200
        assert await installing.finish(state, DELTA.code, session) != 200  # the same state again
    assert SlackInstallations(installing.app.store).teams() == [GAMMA.team_id]


async def test_an_event_from_a_workspace_is_answered_with_that_workspace_token(installing: InstallRig) -> None:
    async with browser() as session:
        assert await installing.install(GAMMA, session) == 200
        assert await installing.install(DELTA, session) == 200
    body = message_event(narrative().examples[0], team=DELTA.team_id, event_id="EvDelta1")
    response = await installing.bolt.async_dispatch(
        AsyncBoltRequest(body=body, headers=signed_headers(body, "application/json"))
    )
    assert response.status == 200
    (reply,) = installing.api.calls_to("chat.postMessage")
    assert installing.api.token_of(reply) == DELTA.bot_token
    (record,) = installing.app.core.history.recent("slack", "C0001", tenant=DELTA.team_id)
    assert record.workspace_id == DELTA.team_id
    assert installing.app.core.history.recent("slack", "C0001", tenant=GAMMA.team_id) == []


async def test_an_event_from_a_workspace_that_never_installed_is_not_answered(installing: InstallRig) -> None:
    body = message_event(narrative().examples[0], team="TSTRANGER", event_id="EvStranger")
    await installing.bolt.async_dispatch(AsyncBoltRequest(body=body, headers=signed_headers(body, "application/json")))
    assert installing.api.calls_to("chat.postMessage") == []


async def test_a_workspace_that_removes_the_app_is_forgotten(installing: InstallRig) -> None:
    async with browser() as session:
        assert await installing.install(GAMMA, session) == 200
        assert await installing.install(DELTA, session) == 200
    body = json.dumps({
        "token": "legacy", "team_id": GAMMA.team_id, "api_app_id": "A0001", "type": "event_callback",
        "event": {"type": "app_uninstalled"}, "event_id": "EvGone", "event_time": 1,
    })
    response = await installing.bolt.async_dispatch(
        AsyncBoltRequest(body=body, headers=signed_headers(body, "application/json"))
    )
    assert response.status == 200
    installations = SlackInstallations(installing.app.store)
    assert installations.teams() == [DELTA.team_id] and installations.bot_token(GAMMA.team_id) is None


def test_the_install_asks_for_the_manifest_scopes() -> None:
    manifest = yaml.safe_load((ROOT / "slack-manifest.yaml").read_text(encoding="utf-8"))
    assert sorted(BOT_SCOPES) == sorted(manifest["oauth_config"]["scopes"]["bot"])
