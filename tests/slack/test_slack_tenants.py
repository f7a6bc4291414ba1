"""Two Slack workspaces on one app and one database (both backends): each gets its own alerts from a shared feed,
with its own bot token, and sees and changes only its own subscriptions, settings, history and feedback."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from slack_bolt.async_app import AsyncApp, AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack import ChannelPacer, SlackAlertSender, SlackPoster, build_slack_app, workspace_tokens
from bot.app import App, build_app
from bot.config import Secret
from bot.slack_installations import SlackInstallations
from tests.feeds.helpers import NEUTRAL_TEXTS, Item, propaganda_texts, rss
from tests.slack.conftest import rig_settings
from tests.slack.fakeslack import (
    CLIENT_ID,
    CLIENT_SECRET,
    FakeSlackApi,
    PageServer,
    Workspace,
    button_click,
    signed_headers,
    slash_command,
)

FORM = "application/x-www-form-urlencoded"
ALPHA = Workspace("TALPHA", "xoxb-alpha", name="Alpha newsroom", bot_user_id="UBOTA", bot_id="BBOTA")
BETA = Workspace("TBETA", "xoxb-beta", name="Beta newsroom", bot_user_id="UBOTB", bot_id="BBOTB")
# The same channel id in both workspaces: only the tenant tells their rows apart.
CHANNEL = "C0001"
EDITOR = "UEDITOR"
SHARED_FEED = "/shared.xml"
ALPHA_ONLY_FEED = "/alpha-only.xml"


def oauth_overrides(location: Path | str) -> dict[str, object]:
    """Settings of an app installed through OAuth, its state in `location` (a SQLite file or a PostgreSQL DSN)."""
    where: dict[str, object] = (
        {"postgres_dsn": Secret(location)} if isinstance(location, str) else {"db_path": location}
    )
    return {
        "slack_bot_token": Secret(""),
        "slack_client_id": CLIENT_ID,
        "slack_client_secret": Secret(CLIENT_SECRET),
        **where,
    }


@dataclass
class TwoWorkspaces:
    api: FakeSlackApi
    pages: PageServer
    app: App
    bolt: AsyncApp
    poster: SlackPoster
    commands: int = 0

    async def dispatch(self, body: str, content_type: str = FORM) -> dict[str, Any]:
        response = await self.bolt.async_dispatch(
            AsyncBoltRequest(body=body, headers=signed_headers(body, content_type))
        )
        assert response.status == 200, response.body
        return json.loads(response.body) if response.body else {}

    async def command(self, workspace: Workspace, text: str, user: str = EDITOR) -> str:
        """The answer to `/narrative TEXT` typed in the workspace: at once, or (a slow one, such as `feeds add`)
        through its response URL."""
        self.commands += 1
        name = f"cmd{self.commands}"
        body = slash_command(
            text, self.api.response_url(name), channel=CHANNEL, user=user, team=workspace.team_id
        )
        answer = await self.dispatch(body)
        if not str(answer.get("text", "")).startswith("Checking"):
            return str(answer["text"])
        for _ in range(200):
            later = [c for c in self.api.calls_to("response_url") if c.params.get("_name") == name]
            if later:
                return str(later[0].params["text"])
            await asyncio.sleep(0.05)
        raise AssertionError(f"no answer to /narrative {text}")


@pytest.fixture
async def two(
    tmp_path: Path, state_location: Path | str, api: FakeSlackApi, pages: PageServer
) -> AsyncIterator[TwoWorkspaces]:
    async with two_workspaces(tmp_path, state_location, api, pages) as both:
        yield both


@contextlib.asynccontextmanager
async def two_workspaces(
    tmp_path: Path, state_location: Path | str, api: FakeSlackApi, pages: PageServer, **overrides: object
) -> AsyncIterator[TwoWorkspaces]:
    app = build_app(rig_settings(tmp_path, api, pages, **oauth_overrides(state_location), **overrides))
    installations = SlackInstallations(app.store)
    for workspace in (ALPHA, BETA):
        api.add_workspace(workspace)
        installations.save(
            workspace.team_id, bot_token=workspace.bot_token, bot_id=workspace.bot_id,
            bot_user_id=workspace.bot_user_id, team_name=workspace.name,
        )
    api.users[EDITOR] = {"is_admin": True}  # may change feeds and settings (asked of each workspace)
    pages.types[SHARED_FEED] = pages.types[ALPHA_ONLY_FEED] = "application/rss+xml"
    pages.pages[SHARED_FEED] = rss([Item("n1", "Weather", NEUTRAL_TEXTS[0], link="https://wire.example/n1")])
    pages.pages[ALPHA_ONLY_FEED] = rss([Item("a1", "Weather", NEUTRAL_TEXTS[1], link="https://wire.example/a1")])
    # The app's own client has no token: every call speaks for one workspace, with that workspace's token.
    poster = SlackPoster(AsyncWebClient(base_url=api.url), ChannelPacer(0.0), tokens=workspace_tokens(app))
    bolt = build_slack_app(app, poster=poster, process_before_response=True)
    try:
        yield TwoWorkspaces(api, pages, app, bolt, poster)
    finally:
        await app.aclose()


async def test_two_workspaces_get_their_own_alerts_and_see_only_their_own_state(two: TwoWorkspaces) -> None:
    shared, alpha_only = two.pages.url(SHARED_FEED), two.pages.url(ALPHA_ONLY_FEED)
    assert "Watching" in await two.command(ALPHA, f"feeds add {shared}")
    assert "Watching" in await two.command(BETA, f"feeds add {shared}")
    assert "Watching" in await two.command(ALPHA, f"feeds add {alpha_only}")
    assert "now in uk" in await two.command(ALPHA, "settings language uk")

    # Each workspace sees its own feeds and settings, though both typed in a channel with the same id.
    alpha_feeds, beta_feeds = await two.command(ALPHA, "feeds list"), await two.command(BETA, "feeds list")
    assert shared in alpha_feeds and alpha_only in alpha_feeds
    assert shared in beta_feeds and alpha_only not in beta_feeds
    # Alpha's answers are in Ukrainian from now on; Beta's stay English.
    assert "language: uk — задано тут" in await two.command(ALPHA, "settings")
    assert "language: auto — default" in await two.command(BETA, "settings")

    # Beta cannot remove Alpha's feed nor reset Alpha's settings, even naming the same channel id.
    assert "does not watch" in await two.command(BETA, f"feeds remove {alpha_only}")
    assert "uses the defaults" in await two.command(BETA, "settings reset")
    assert [s.feed_url for s in two.app.store.subscriptions("slack", CHANNEL, tenant=ALPHA.team_id)] == [
        shared, alpha_only
    ]
    assert two.app.core.channels.policy("slack", CHANNEL, tenant=ALPHA.team_id).language == "uk"

    poller = two.app.feed_poller
    await poller.poll_once(force=True)  # the first poll records what is there silently
    text = propaganda_texts()[0][1]
    two.pages.pages[SHARED_FEED] = rss([
        Item("n1", "Weather", NEUTRAL_TEXTS[0], link="https://wire.example/n1"),
        Item("p1", "Report", text, link="https://wire.example/p1"),
    ])
    before = two.pages.hits.count(SHARED_FEED)
    results = await poller.poll_once(force=True)
    assert two.pages.hits.count(SHARED_FEED) - before == 1  # one fetch for both workspaces' subscriptions
    (shared_result,) = [r for r in results if r.url == shared]
    assert sorted(a.tenant for a in shared_result.alerts) == [ALPHA.team_id, BETA.team_id]

    sender = SlackAlertSender(two.poster, policy=two.app.core.channels.policy, history=two.app.core.history)
    assert await poller.deliver(sender) == 2
    posts = two.api.calls_to("chat.postMessage")
    assert sorted((two.api.token_of(c), c.params["channel"]) for c in posts) == [
        (ALPHA.bot_token, CHANNEL), (BETA.bot_token, CHANNEL)
    ]
    # Each card went through its own workspace's settings: Alpha's in Ukrainian, Beta's in the item's own language.
    cards = {two.api.token_of(c): json.dumps(c.params["blocks"], ensure_ascii=False) for c in posts}
    found = two.app.library.library.get(propaganda_texts()[0][0])
    assert found is not None
    assert found.title_in("uk") in cards[ALPHA.bot_token] and found.title_in("uk") not in cards[BETA.bot_token]

    # Each workspace's history holds its own alert only.
    alpha_recent, beta_recent = await two.command(ALPHA, "recent"), await two.command(BETA, "recent")
    assert alpha_recent.startswith("1 останнє сповіщення тут") and "Latest 1 alert here" in beta_recent
    (alpha_record,) = two.app.core.history.recent("slack", CHANNEL, tenant=ALPHA.team_id)
    (beta_record,) = two.app.core.history.recent("slack", CHANNEL, tenant=BETA.team_id)
    assert alpha_record.message_ref != beta_record.message_ref

    # A ✅ in Alpha is Alpha's feedback; Beta's list stays empty.
    value = f"{alpha_record.narrative_id}|{alpha_record.message_ref}"
    await two.dispatch(button_click("feedback_correct", value, two.api.response_url("c"), team=ALPHA.team_id))
    (thanks,) = two.api.calls_to("chat.postEphemeral")
    assert two.api.token_of(thanks) == ALPHA.bot_token
    assert "Підтверджені (1):" in await two.command(ALPHA, "feedback")
    assert "Confirmed" not in await two.command(BETA, "feedback")
    assert [f.user_id for f in two.app.store.feedback(tenant=BETA.team_id)] == []

    # Beta removing its own subscription leaves Alpha's: the next alert goes to Alpha alone.
    assert "Stopped watching" in await two.command(BETA, f"feeds remove {shared}")
    assert [s.tenant for s in two.app.store.subscriptions("slack", CHANNEL) if s.feed_url == shared] == [
        ALPHA.team_id
    ]


async def test_every_call_for_a_workspace_uses_its_own_token(two: TwoWorkspaces) -> None:
    await two.command(BETA, "settings")
    await two.command(BETA, "settings links off")  # a change: users.info is asked with Beta's token
    (asked,) = two.api.calls_to("users.info")
    assert two.api.token_of(asked) == BETA.bot_token
    assert two.app.core.channels.policy("slack", CHANNEL, tenant=BETA.team_id).links is False
    assert two.app.core.channels.policy("slack", CHANNEL, tenant=ALPHA.team_id).links is True


async def test_each_workspace_names_its_own_editors_group(
    tmp_path: Path, state_location: Path | str, api: FakeSlackApi, pages: PageServer
) -> None:
    # A user group is one workspace's: Alpha's editors are SALPHAED, Beta's SBETAED (user ids are per workspace
    # too; the same id in both keeps the test short).
    api.usergroups.update({"SALPHAED": ["UALPHAED"], "SBETAED": ["UBETAED"]})
    groups = f"{ALPHA.team_id}:SALPHAED, {BETA.team_id}:SBETAED"
    async with two_workspaces(tmp_path, state_location, api, pages, slack_admin_group=groups) as both:
        assert "now 70" in await both.command(BETA, "settings threshold 70", user="UBETAED")
        refused = await both.command(ALPHA, "settings threshold 70", user="UBETAED")
        assert "<!subteam^SALPHAED>" in refused and "SBETAED" not in refused
        assert "now 60" in await both.command(ALPHA, "settings threshold 60", user="UALPHAED")
        lookups = both.api.calls_to("usergroups.users.list")
        assert [(c.params["usergroup"], both.api.token_of(c)) for c in lookups] == [
            ("SBETAED", BETA.bot_token), ("SALPHAED", ALPHA.bot_token), ("SALPHAED", ALPHA.bot_token),
        ]
        assert both.app.core.channels.policy("slack", CHANNEL, tenant=BETA.team_id).threshold == 70
        assert both.app.core.channels.policy("slack", CHANNEL, tenant=ALPHA.team_id).threshold == 60
