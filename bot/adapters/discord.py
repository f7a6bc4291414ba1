"""Discord adapter: gateway messages, /narrative commands, feedback buttons and feed alerts, translated for the core."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import logging
import re
import signal
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket

from bot.config import ConfigError
from bot.digest import Digest, run_digests
from bot.history import REASONS, AlertHistory, Origin, PostedCard
from bot.models import CommandRequest, FeedAlert, FeedNotice, IncomingMessage, MessageOutcome, Verdict
from bot.permissions import discord_refusal
from bot.render.common import clip
from bot.render.discord_commands import CommandTranslator
from bot.render.discord_embed import CONTENT_MAX, problems_text, response_message, verdict_embeds
from bot.render.i18n import Lang, reason_label, reply_language, text_language, word
from bot.render.thread_parent import thread_parent_text
from bot.tenants import adopt_channels
from matchers.library import as_language

if TYPE_CHECKING:
    from bot.app import App
    from bot.channel_settings import ChannelPolicy
    from bot.core import Core

logger = logging.getLogger(__name__)

PLATFORM = "discord"
# Discord's own REST base, remembered before any override so a test (or a second client) can put it back.
DISCORD_API_BASE = discord.http.Route.BASE
# Replies and alerts never ping anyone: not the author replied to, not @everyone, not a role named in a page.
NO_PINGS = discord.AllowedMentions.none()
_URL = re.compile(r"https?://", re.IGNORECASE)
FEEDBACK_PREFIX = "nb:fb"
REASON_PREFIX = "nb:why"
CUSTOM_ID_MAX = 100
THREAD_NAME_MAX = 100
CHECK_MENU = "Check for narratives"  # the message context-menu command (Apps › Check for narratives)
THREAD_ALREADY_CREATED = 160004  # Discord's error code: "A thread has already been created for this message"


def delivery_nonce(key: str) -> str:
    """A message nonce (Discord allows 25 characters) naming one delivery.

    discord.py sends a given nonce with `enforce_nonce: true`: Discord then answers a repeat of the same nonce
    from the same bot, within a few minutes, with the message already created instead of a second one. So a post
    retried after a lost answer (discord.py itself retries 5xx and dropped connections), or re-sent soon after a
    restart, appears once.
    """
    return "nb" + hashlib.blake2b(key.encode("utf-8"), digest_size=10).hexdigest()


# -- REST base and gateway address --------------------------------------------------------------------------------


def apply_api_base(base: str | None) -> None:
    """Point discord.py's REST calls (including interaction responses and followups) at `base`.

    discord.py builds every URL from the class attribute `Route.BASE`, webhooks and interactions included, so the
    override is process-wide; one bot runs per process.
    """
    discord.http.Route.BASE = base.rstrip("/") if base else DISCORD_API_BASE


def redirect_gateway(http: discord.http.HTTPClient, gateway: yarl.URL) -> None:
    """Make this client's websocket go to `gateway` wherever discord.py would use its built-in default address.

    A plain `Client` never asks `GET /gateway/bot`: it connects to `DiscordWebSocket.DEFAULT_GATEWAY` at start and
    after an invalidated session. Resumes use the `resume_gateway_url` the gateway itself sent, so they follow.
    """
    original = http.ws_connect
    default_host = DiscordWebSocket.DEFAULT_GATEWAY.host

    async def ws_connect(url: str, *, compress: int = 0) -> aiohttp.ClientWebSocketResponse:
        target = yarl.URL(url)
        if target.host == default_host:
            target = gateway.with_query(target.query)
        logger.debug("gateway connection to %s", target.with_query(None))
        return await original(str(target), compress=compress)

    http.ws_connect = ws_connect  # type: ignore[method-assign]


# -- translation ------------------------------------------------------------------------------------------------


def incoming_from_message(message: discord.Message, me: discord.abc.Snowflake | None) -> IncomingMessage | None:
    """A guild message as the core's IncomingMessage; None for bots, ourselves, DMs and system messages."""
    if message.author.bot or (me is not None and message.author.id == me.id):
        return None
    if message.guild is None or message.type not in (discord.MessageType.default, discord.MessageType.reply):
        return None
    if not message.content.strip():
        return None
    channel = message.channel
    return IncomingMessage(
        platform=PLATFORM,
        channel_id=str(channel.id),
        message_id=str(message.id),
        text=message.content,
        user_id=str(message.author.id),
        thread_id=str(channel.id) if isinstance(channel, discord.Thread) else None,
        tenant=str(message.guild.id),
    )


def message_text_to_check(message: discord.Message) -> str:
    """A message's own text plus the links of its embeds (a pasted link's preview may be all that is left)."""
    urls = [e.url for e in message.embeds if e.url and e.url not in message.content]
    return " ".join([message.content.strip(), *urls]).strip()


def guild_tenant(interaction: discord.Interaction[Any]) -> str:
    """The server an interaction came from, which keys every row it reads or writes ('' in a DM)."""
    return str(interaction.guild_id) if interaction.guild_id else ""


def command_request(interaction: discord.Interaction[Any], text: str) -> CommandRequest:
    return CommandRequest(
        PLATFORM, str(interaction.channel_id or ""), text, user_id=str(interaction.user.id),
        tenant=guild_tenant(interaction),
    )


# -- feedback buttons ---------------------------------------------------------------------------------------------


def locale_language(interaction: discord.Interaction[Any]) -> Lang:
    """The language the asker's Discord client is set to ("uk", "ru"; every English variant is "en"), when the
    bot speaks it, else English."""
    locale = getattr(interaction, "locale", None)
    code = str(getattr(locale, "value", locale) or "").split("-", 1)[0].lower()
    return as_language(code) or "en"


def feedback_custom_id(value: str, narrative_id: str, lang: Lang | None = None) -> str:
    """A ✅/❌ button's custom id: `nb:fb:correct:NARRATIVE[:LANG]`."""
    return f"{FEEDBACK_PREFIX}:{value}:{narrative_id}" + (f":{lang}" if lang else "")


def reason_custom_id(reason: str, narrative_id: str, message_ref: str, lang: Lang | None = None) -> str:
    """A reason button's custom id: `nb:why:REASON:NARRATIVE:MESSAGE[:LANG]`."""
    return f"{REASON_PREFIX}:{reason}:{narrative_id}:{message_ref}" + (f":{lang}" if lang else "")


class FeedbackButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"nb:fb:(?P<value>correct|wrong):(?P<nid>[a-z0-9-]+)(?::(?P<lang>en|uk|ru))?",
):
    """A correct/wrong button whose custom id carries the narrative id, so clicks work after any restart, and the
    card's language, so the thanks is in it (a button posted before that carries none)."""

    def __init__(
        self,
        value: str,
        narrative_id: str,
        label: str | None = None,
        row: int | None = None,
        lang: Lang | None = None,
    ) -> None:
        self.value = value
        self.narrative_id = narrative_id
        self.lang = lang
        good = value == "correct"
        super().__init__(
            discord.ui.Button(
                style=discord.ButtonStyle.success if good else discord.ButtonStyle.danger,
                label=clip(label or word("button_correct" if good else "button_incorrect", "en"), 80),
                emoji="👍" if good else "👎",
                custom_id=feedback_custom_id(value, narrative_id, lang),
                row=row,
            )
        )

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> FeedbackButton:
        label = item.label if isinstance(item, discord.ui.Button) else None
        return cls(match["value"], match["nid"], label, item.row, as_language(match["lang"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        client = interaction.client
        if not isinstance(client, NarrativeClient):
            return
        message_ref = str(interaction.message.id) if interaction.message is not None else ""
        channel, tenant = str(interaction.channel_id or ""), guild_tenant(interaction)
        # The thanks in the card's language; for a button from before buttons carried it, the channel's, else
        # English (a click has no words of its own).
        lang = self.lang or client.app.core.channel_language(PLATFORM, channel, tenant=tenant) or "en"
        text = client.app.core.record_feedback(
            PLATFORM, channel, message_ref, self.narrative_id, str(interaction.user.id), self.value,
            channel_language=lang, tenant=tenant,
        )  # fmt: skip
        # A ❌ is followed by the optional question why, as buttons under the same private answer, in that language.
        view = reason_view(self.narrative_id, message_ref, lang) if self.value == "wrong" else None
        if view is not None:
            text += "\n" + word("reason_ask", lang)
        await interaction.response.send_message(
            text, ephemeral=True, allowed_mentions=NO_PINGS, **_view_kwargs(view)
        )


class ReasonButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"nb:why:(?P<reason>[a-z-]+):(?P<nid>[a-z0-9-]+):(?P<ref>[0-9]+)(?::(?P<lang>en|uk|ru))?",
):
    """One reason after a ❌; its custom id names the reason, the narrative and the card, so it works after a
    restart too, and the language it was asked in, so the thanks is in it (a prompt from before carries none)."""

    def __init__(self, reason: str, narrative_id: str, message_ref: str, lang: Lang | None = None) -> None:
        self.reason = reason
        self.narrative_id = narrative_id
        self.message_ref = message_ref
        self.lang = lang
        super().__init__(
            discord.ui.Button(
                style=discord.ButtonStyle.secondary,
                label=reason_label(reason, lang or "en"),
                custom_id=reason_custom_id(reason, narrative_id, message_ref, lang),
            )
        )

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ReasonButton:
        return cls(match["reason"], match["nid"], match["ref"], as_language(match["lang"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        client = interaction.client
        if not isinstance(client, NarrativeClient):
            return
        text = client.app.core.record_reason(
            PLATFORM, self.message_ref, self.narrative_id, str(interaction.user.id), self.reason,
            tenant=guild_tenant(interaction), channel_id=str(interaction.channel_id or ""), channel_language=self.lang,
        )  # fmt: skip
        # The question is answered: replace it (and its buttons) with the thanks.
        await interaction.response.edit_message(content=text, view=None, allowed_mentions=NO_PINGS)


def reason_view(narrative_id: str, message_ref: str, lang: Lang = "en") -> discord.ui.View | None:
    """The four reasons as buttons labelled in `lang`, or None when a custom id would not fit Discord's 100
    characters."""
    ids = [reason_custom_id(reason, narrative_id, message_ref, lang) for reason in REASONS]
    if not message_ref.isdigit() or any(len(i) > CUSTOM_ID_MAX for i in ids):
        return None
    view = discord.ui.View(timeout=None)
    for reason in REASONS:
        view.add_item(ReasonButton(reason, narrative_id, message_ref, lang))
    return view


def feedback_view(verdicts: tuple[Verdict, ...] | list[Verdict]) -> discord.ui.View | None:
    """One row of correct/wrong buttons per narrative shown (Discord allows five rows), labelled in the cards'
    language."""
    if not verdicts:
        return None
    lang = verdicts[0].language
    seen: list[tuple[str, str]] = []
    for verdict in verdicts:
        top = verdict.top
        custom_id = feedback_custom_id("correct", top.narrative_id, lang)
        if len(custom_id) > CUSTOM_ID_MAX or any(nid == top.narrative_id for nid, _ in seen):
            continue
        seen.append((top.narrative_id, top.title))
    if not seen:
        return None
    view = discord.ui.View(timeout=None)
    several = len(seen[:5]) > 1
    for row, (nid, title) in enumerate(seen[:5]):
        right = word("button_right_about", lang, title=title) if several else word("button_correct", lang)
        wrong = word("button_wrong_about", lang, title=title) if several else word("button_incorrect", lang)
        view.add_item(FeedbackButton("correct", nid, right, row, lang))
        view.add_item(FeedbackButton("wrong", nid, wrong, row, lang))
    return view


def _view_kwargs(view: discord.ui.View | None) -> dict[str, Any]:
    return {"view": view} if view is not None else {}


# -- /narrative -------------------------------------------------------------------------------------------------


def id_choices(core: Core, current: str, limit: int = 25) -> list[app_commands.Choice[str]]:
    """Narrative ids for autocomplete: prefix matches, then words in ids and titles, then fuzzy search."""
    library = core.library.library
    query = current.strip().lower()
    # Titles in the language being typed: "паніка" lists the Ukrainian titles.
    lang = text_language(current) or "en"
    ordered: list[str] = []
    if not query:
        ordered = sorted(library.ids)
    else:
        ordered = [i for i in sorted(library.ids) if i.startswith(query)]
        ordered += [
            n.id for n in library.narratives if query in n.id or any(query in t.lower() for t in n.titles.all())
        ]
        ordered += [n.id for n, _ in core.search(current, limit=limit)]
    choices: list[app_commands.Choice[str]] = []
    for nid in dict.fromkeys(ordered):
        narrative = library.get(nid)
        if narrative is None or len(nid) > 100:
            continue
        choices.append(app_commands.Choice(name=clip(f"{nid} — {narrative.title_in(lang)}", 100), value=nid))
        if len(choices) >= limit:
            break
    return choices


LANGUAGE_CHOICES = [
    app_commands.Choice(name="English", value="en"),
    app_commands.Choice(name="Українська", value="uk"),
    app_commands.Choice(name="Русский", value="ru"),
]


class NarrativeCommands(app_commands.Group):
    """`/narrative` with the core's subcommands; each becomes the text the core parses."""

    feeds = app_commands.Group(name="feeds", description="Watch RSS/Atom feeds or Telegram channels in this channel")
    # Discord takes default_member_permissions on top-level commands only, never on a subcommand, so the admin
    # subcommands check Manage Channels when they run (refuse_unless_editor); the read-only ones stay open.
    settings = app_commands.Group(name="settings", description="This channel's settings (changes: Manage Channels)")

    def __init__(self, core: Core) -> None:
        super().__init__(name="narrative", description="Recognise Kremlin talking points about Russia and the DPRK")
        self.core = core

    async def answer(
        self, interaction: discord.Interaction[Any], text: str, *, defer: bool = False, ephemeral: bool = True
    ) -> None:
        """Run `text` through the core and answer; `defer` first when the answer may take longer than 3 s."""
        if defer:
            await interaction.response.defer(ephemeral=ephemeral, thinking=True)
        response = await self.core.handle_command(command_request(interaction, text))
        content, embeds = response_message(response)
        kwargs: dict[str, Any] = {"content": content or None, "embeds": embeds, "allowed_mentions": NO_PINGS}
        kwargs.update(_view_kwargs(feedback_view(response.verdicts)))
        if interaction.response.is_done():
            await interaction.followup.send(**kwargs, ephemeral=response.ephemeral)
        else:
            await interaction.response.send_message(**kwargs, ephemeral=response.ephemeral)

    async def refuse_unless_editor(
        self, interaction: discord.Interaction[Any], typed: str = "", *, digest: bool = False
    ) -> bool:
        """Feeds post into a channel on their own, so only people who may manage the channel change them
        (a Discord server is usually more open than a newsroom's Slack). The refusal is in the channel's language,
        else in that of the words `typed`, else English; the digest's names what it guards."""
        if interaction.permissions.manage_channels:
            return False
        channel = self.core.channel_language(
            PLATFORM, str(interaction.channel_id or ""), tenant=guild_tenant(interaction)
        )
        message = discord_refusal(reply_language(typed, channel), digest=digest)
        await interaction.response.send_message(message, ephemeral=True)
        return True

    @app_commands.command(name="help", description="What the bot does and how to use it")
    async def help_(self, interaction: discord.Interaction[Any]) -> None:
        await self.answer(interaction, "help")

    @app_commands.command(name="list", description="Every narrative in the library")
    @app_commands.describe(language="The language of the titles (default: the channel's, else English)")
    @app_commands.choices(language=LANGUAGE_CHOICES)
    async def list_(self, interaction: discord.Interaction[Any], language: str | None = None) -> None:
        await self.answer(interaction, f"list {language or ''}".strip())

    @app_commands.command(name="show", description="A narrative with its debunk and sources")
    @app_commands.rename(narrative_id="id")
    @app_commands.describe(
        narrative_id="The narrative's id (start typing to search)",
        language="The language of the debunk (default: the channel's, else English)",
    )
    @app_commands.choices(language=LANGUAGE_CHOICES)
    async def show(self, interaction: discord.Interaction[Any], narrative_id: str, language: str | None = None) -> None:
        await self.answer(interaction, f"show {narrative_id} {language or ''}".strip())

    @show.autocomplete("narrative_id")
    async def _show_ids(self, interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
        return id_choices(self.core, current)

    @app_commands.command(name="search", description="Find narratives by words")
    @app_commands.describe(words="Words from a claim, title or topic")
    async def search(self, interaction: discord.Interaction[Any], words: str) -> None:
        await self.answer(interaction, f"search {words}")

    @app_commands.command(name="check", description="Check a text or a link for known narratives")
    @app_commands.describe(text="A text or one URL", public="Show the result to the channel (default: only you)")
    async def check(self, interaction: discord.Interaction[Any], text: str, public: bool = False) -> None:
        command = f"check --public {text}" if public else f"check {text}"
        # Reading a page can take longer than the 3 s Discord gives an interaction: acknowledge first.
        await self.answer(interaction, command, defer=bool(_URL.search(text)), ephemeral=not public)

    @app_commands.command(name="recent", description="This channel's latest alerts, with their feedback")
    @app_commands.describe(count="How many (default 10, at most 25)")
    async def recent(self, interaction: discord.Interaction[Any], count: app_commands.Range[int, 1, 25] = 10) -> None:
        await self.answer(interaction, f"recent {count}")

    @app_commands.command(name="feedback", description="Matches people marked right or wrong in this channel")
    @app_commands.describe(which="Only disputed or only confirmed matches (default: both)")
    @app_commands.choices(
        which=[app_commands.Choice(name=n, value=n) for n in ("disputed", "confirmed")]
    )
    async def feedback(self, interaction: discord.Interaction[Any], which: str | None = None) -> None:
        await self.answer(interaction, f"feedback {which or ''}".strip())

    @app_commands.command(name="digest", description="A weekly summary with a chart, posted in this channel")
    @app_commands.describe(state="on, off, or status (default)")
    @app_commands.choices(state=[app_commands.Choice(name=n, value=n) for n in ("on", "off", "status")])
    async def digest(self, interaction: discord.Interaction[Any], state: str = "status") -> None:
        # The digest posts into the channel on its own, like a feed: the same permission turns it on or off.
        if state != "status" and await self.refuse_unless_editor(interaction, f"digest {state}", digest=True):
            return
        await self.answer(interaction, f"digest {state}")

    @feeds.command(name="add", description="Watch a feed (RSS/Atom URL or @telegram_channel) in this channel")
    @app_commands.describe(url="Feed URL, t.me link or @channel")
    async def feeds_add(self, interaction: discord.Interaction[Any], url: str) -> None:
        if await self.refuse_unless_editor(interaction, f"feeds add {url}"):
            return
        # The feed is tried before subscribing, which can take longer than the 3 s an interaction gets.
        await self.answer(interaction, f"feeds add {url}", defer=True)

    @feeds.command(name="remove", description="Stop watching a feed in this channel")
    @app_commands.describe(url="A feed this channel watches")
    async def feeds_remove(self, interaction: discord.Interaction[Any], url: str) -> None:
        if await self.refuse_unless_editor(interaction, f"feeds remove {url}"):
            return
        await self.answer(interaction, f"feeds remove {url}")

    @feeds_remove.autocomplete("url")
    async def _watched(self, interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
        subs = self.core.store.subscriptions(
            PLATFORM, str(interaction.channel_id or ""), tenant=guild_tenant(interaction)
        )
        urls = [s.feed_url for s in subs if current.lower() in s.feed_url.lower() and len(s.feed_url) <= 100]
        return [app_commands.Choice(name=u, value=u) for u in urls[:25]]

    @feeds.command(name="list", description="Feeds watched in this channel")
    async def feeds_list(self, interaction: discord.Interaction[Any]) -> None:
        await self.answer(interaction, "feeds list")

    async def change_setting(self, interaction: discord.Interaction[Any], text: str) -> None:
        if await self.refuse_unless_editor(interaction, f"settings {text}"):
            return
        await self.answer(interaction, f"settings {text}")

    @settings.command(name="show", description="This channel's settings and where each comes from")
    async def settings_show(self, interaction: discord.Interaction[Any]) -> None:
        await self.answer(interaction, "settings")

    @settings.command(name="threshold", description="The score (0-100) from which a match is posted here")
    @app_commands.describe(
        score="A whole number from the suggest threshold to 100 (the bot names both if it is out of range)"
    )
    async def settings_threshold(self, interaction: discord.Interaction[Any], score: int) -> None:
        await self.change_setting(interaction, f"threshold {score}")

    @settings.command(name="mute", description="Stop posting a narrative in this channel")
    @app_commands.rename(narrative_id="id")
    @app_commands.describe(narrative_id="The narrative's id (start typing to search)")
    async def settings_mute(self, interaction: discord.Interaction[Any], narrative_id: str) -> None:
        await self.change_setting(interaction, f"mute {narrative_id}")

    @settings_mute.autocomplete("narrative_id")
    async def _mute_ids(self, interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
        return id_choices(self.core, current)

    @settings.command(name="unmute", description="Post a muted narrative in this channel again")
    @app_commands.rename(narrative_id="id")
    @app_commands.describe(narrative_id="A narrative muted here")
    async def settings_unmute(self, interaction: discord.Interaction[Any], narrative_id: str) -> None:
        await self.change_setting(interaction, f"unmute {narrative_id}")

    @settings_unmute.autocomplete("narrative_id")
    async def _muted_ids(self, interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
        muted = self.core.channels.policy(
            PLATFORM, str(interaction.channel_id or ""), tenant=guild_tenant(interaction)
        ).muted
        ids = sorted(i for i in muted if current.lower() in i and len(i) <= 100)
        return [app_commands.Choice(name=i, value=i) for i in ids[:25]]

    @settings.command(name="links", description="Whether links pasted here are read and answered")
    async def settings_links(self, interaction: discord.Interaction[Any], state: Literal["on", "off"]) -> None:
        await self.change_setting(interaction, f"links {state}")

    @settings.command(name="thread", description="Whether feed alerts here put their card in a thread")
    async def settings_thread(self, interaction: discord.Interaction[Any], state: Literal["on", "off"]) -> None:
        await self.change_setting(interaction, f"thread {state}")

    @settings.command(name="language", description="The language of replies here (auto: the text's own)")
    async def settings_language(
        self, interaction: discord.Interaction[Any], language: Literal["en", "uk", "ru", "auto"]
    ) -> None:
        await self.change_setting(interaction, f"language {language}")

    @settings.command(name="digest", description="Whether this channel gets the weekly digest")
    async def settings_digest(self, interaction: discord.Interaction[Any], state: Literal["on", "off"]) -> None:
        await self.change_setting(interaction, f"digest {state}")

    @settings.command(name="reset", description="Put one setting, or all, back to the default")
    @app_commands.describe(setting="The setting to reset (leave empty for all)")
    async def settings_reset(
        self,
        interaction: discord.Interaction[Any],
        setting: Literal["threshold", "muted", "links", "thread", "language", "digest"] | None = None,
    ) -> None:
        await self.change_setting(interaction, f"reset {setting}" if setting else "reset")


# -- feed alerts ------------------------------------------------------------------------------------------------


def record_posted(history: AlertHistory, sent: discord.Message, verdicts: Sequence[Verdict], *, origin: Origin) -> None:
    """Keep a posted card in the alert history. Its feedback buttons are answered with the card's own message id
    (interaction.message), so that id is the ref the history keeps."""
    guild = getattr(sent, "guild", None)
    history.record_safely(
        PostedCard(
            PLATFORM,
            str(sent.channel.id),
            str(sent.id),
            tuple(verdicts),
            origin,
            workspace_id=str(guild.id) if guild is not None else None,
            message_id=str(sent.id),
            permalink=sent.jump_url,
            tenant=str(guild.id) if guild is not None else "",
        )
    )


class DiscordAlertSender:
    """The feed poller's AlertSender for Discord: the same card as a chat reply, in the subscribed channel.

    A channel whose `thread` setting is on gets one line per alert and the card in a thread started from it; each
    post has its own nonce, so a retry within Discord's nonce window creates neither twice.
    """

    platform = PLATFORM

    def __init__(
        self, client: discord.Client, *, policy: Callable[..., ChannelPolicy] | None = None,
        history: AlertHistory | None = None,
    ) -> None:
        self.client = client
        self.policy = policy
        self.history = history

    async def _channel(self, channel_id: str) -> discord.abc.Messageable:
        channel = self.client.get_channel(int(channel_id))
        if channel is None:
            channel = await self.client.fetch_channel(int(channel_id))
        if not isinstance(channel, discord.abc.Messageable):
            raise TypeError(f"Discord channel {channel_id} cannot take messages")
        return channel

    async def send_alert(self, alert: FeedAlert) -> None:
        channel = await self._channel(alert.channel_id)
        view = feedback_view([alert.verdict])
        nonce = delivery_nonce(alert.delivery_key)
        if self.policy is not None and self.policy(PLATFORM, alert.channel_id, tenant=alert.tenant).thread:
            parent = await channel.send(
                content=clip(thread_parent_text(alert.verdict), CONTENT_MAX), allowed_mentions=NO_PINGS, nonce=nonce
            )
            channel = await self._thread_from(parent, alert.verdict.top.title)
            nonce = delivery_nonce(f"{alert.delivery_key}:card")
        sent = await channel.send(
            embeds=verdict_embeds([alert.verdict]), allowed_mentions=NO_PINGS, nonce=nonce, **_view_kwargs(view)
        )
        if self.history is not None:
            record_posted(self.history, sent, (alert.verdict,), origin="feed")

    async def send_digest(self, digest: Digest) -> None:
        """The weekly digest: its text and the chart as a file attachment, in one message."""
        channel = await self._channel(digest.channel_id)
        chart = discord.File(io.BytesIO(digest.chart_png), filename=digest.chart_name,
                             description=digest.chart_alt)
        await channel.send(
            content=clip(digest.text, CONTENT_MAX), file=chart, allowed_mentions=NO_PINGS,
            nonce=delivery_nonce(f"digest:{digest.channel_id}:{digest.week}"),
        )

    async def _thread_from(self, parent: discord.Message, title: str) -> discord.abc.Messageable:
        try:
            return await parent.create_thread(name=clip(title, THREAD_NAME_MAX))
        except discord.HTTPException as exc:
            if exc.code != THREAD_ALREADY_CREATED:
                raise
            # A retry after the thread was made but the card not sent: a message's thread has the message's id.
            return await self._channel(str(parent.id))

    async def send_notice(self, notice: FeedNotice) -> None:
        channel = await self._channel(notice.channel_id)
        key = notice.delivery_key
        nonce: dict[str, Any] = {"nonce": delivery_nonce(key)} if key is not None else {}
        await channel.send(content=clip(notice.text, CONTENT_MAX), allowed_mentions=NO_PINGS, **nonce)


# -- the client -------------------------------------------------------------------------------------------------


class NarrativeClient(discord.Client):
    """Translates Discord events into core calls and draws the core's answers as embeds."""

    def __init__(self, app: App, **client_options: Any) -> None:
        intents = discord.Intents.default()
        intents.message_content = True  # privileged: also enabled in the Developer Portal (see the README)
        super().__init__(intents=intents, allowed_mentions=NO_PINGS, **client_options)
        self.app = app
        self.tree = app_commands.CommandTree(self)
        self.tree.add_command(NarrativeCommands(app.core))
        self.tree.add_command(app_commands.ContextMenu(name=CHECK_MENU, callback=self.check_message_menu))
        self.tree.on_error = self._on_command_error  # type: ignore[method-assign]
        self.alert_sender = DiscordAlertSender(self, policy=app.core.channels.policy, history=app.core.history)
        self.gateway_url: yarl.URL | None = None
        self.poller_task: asyncio.Task[None] | None = None
        self.digest_task: asyncio.Task[None] | None = None

    async def login(self, token: str) -> None:
        # Before login: discord.py's first REST call (GET /users/@me) must already go to the configured base.
        apply_api_base(self.app.settings.discord_api_base)
        await super().login(token)

    async def setup_hook(self) -> None:
        self.add_dynamic_items(FeedbackButton, ReasonButton)
        # The commands' descriptions in Ukrainian and Russian, sent with them at the sync below.
        await self.tree.set_translator(CommandTranslator())
        await self._resolve_gateway()
        await self.sync_commands()

    async def _resolve_gateway(self) -> None:
        settings = self.app.settings
        url = settings.discord_gateway_url
        if not url and settings.discord_api_base:
            # With REST moved, the gateway must move too: ask that API where its gateway is.
            _shards, url, _limits = await self.http.get_bot_gateway()
        if url:
            self.gateway_url = yarl.URL(url)
            redirect_gateway(self.http, self.gateway_url)
            logger.info("gateway: %s", self.gateway_url.with_query(None))

    async def sync_commands(self) -> None:
        guild_id = self.app.settings.discord_guild_id
        try:
            if guild_id:
                # A guild's commands update at once; global ones can take a while to reach every client.
                guild = discord.Object(id=guild_id)
                self.tree.copy_global_to(guild=guild)
                synced = await self.tree.sync(guild=guild)
                logger.info("synced %d application commands to guild %s", len(synced), guild_id)
            else:
                synced = await self.tree.sync()
                logger.info("synced %d application commands globally", len(synced))
        except discord.HTTPException:
            # Commands already registered keep working; messages and buttons don't need a fresh sync.
            logger.exception("syncing application commands failed")

    async def on_ready(self) -> None:
        logger.info("connected to Discord as %s (%s)", self.user, self.user.id if self.user else "?")
        self.adopt_legacy_rows(self.guilds)
        self.start_feed_polling()
        self.start_digests()

    async def on_guild_join(self, guild: discord.Guild) -> None:
        self.adopt_legacy_rows([guild])

    def adopt_legacy_rows(self, guilds: Sequence[discord.Guild]) -> int:
        """Hand the rows written before servers were told apart to the server whose channel they name."""
        moved = 0
        for guild in guilds:
            ids = [str(c.id) for c in guild.channels] + [str(t.id) for t in guild.threads]
            try:
                moved += adopt_channels(self.app.store, PLATFORM, str(guild.id), ids)
            except Exception:
                logger.exception("could not hand the older rows of server %s to it", guild.id)
        if moved:
            logger.info("%d row(s) written before servers were told apart now belong to their server", moved)
        return moved

    def start_feed_polling(self) -> None:
        """Start the feed poller once (on_ready fires again after every reconnect)."""
        poller = getattr(self.app, "feed_poller", None)
        if poller is None or self.poller_task is not None:
            return
        self.poller_task = asyncio.create_task(poller.run(self.alert_sender), name="feed-poller")
        self.poller_task.add_done_callback(_log_task_end)

    def start_digests(self) -> None:
        """Start the weekly digest loop once (on_ready fires again after every reconnect)."""
        if self.digest_task is not None:
            return
        core = self.app.core
        self.digest_task = asyncio.create_task(
            run_digests(core.history, core.digests, self.alert_sender), name="weekly-digest"
        )

    async def on_message(self, message: discord.Message) -> None:
        incoming = incoming_from_message(message, self.user)
        if incoming is None:
            return
        outcome = await self.app.core.handle_message(incoming)
        if outcome.duplicate or not outcome.should_reply:
            return
        try:
            sent = await self.reply(message, outcome, nonce=delivery_nonce(incoming.reply_key))
        except discord.HTTPException:
            logger.exception("could not reply to message %s in channel %s", message.id, message.channel.id)
            self.app.core.reply_failed(incoming)
            return
        if outcome.verdicts:
            record_posted(self.app.core.history, sent, outcome.verdicts, origin="message")

    async def reply(
        self, message: discord.Message, outcome: MessageOutcome, *, nonce: str | None = None
    ) -> discord.Message:
        embeds = verdict_embeds(outcome.verdicts)
        content = problems_text(outcome.problems) if outcome.problems else None
        kwargs: dict[str, Any] = {"embeds": embeds} if embeds else {}
        kwargs.update(_view_kwargs(feedback_view(outcome.verdicts)))
        # A reply even if the original is deleted meanwhile (then posted without the reference, not lost).
        reference = message.to_reference(fail_if_not_exists=False)
        if nonce is not None:
            kwargs["nonce"] = nonce
        return await message.channel.send(content=content, reference=reference, allowed_mentions=NO_PINGS, **kwargs)

    async def check_message_menu(self, interaction: discord.Interaction[Any], message: discord.Message) -> None:
        """Apps › Check for narratives: the message's text and links checked, the answer for the asker alone."""
        text = message_text_to_check(message)
        channel_language = self._channel_language(interaction)
        if not text:
            # No words to go by: the channel's language, else the asker's Discord language, else English.
            await interaction.response.send_message(
                word("no_text_to_check", channel_language or locale_language(interaction)), ephemeral=True
            )
            return
        # Reading its links can take longer than the 3 s Discord gives an interaction.
        await interaction.response.defer(ephemeral=True, thinking=True)
        response = await self.app.core.check_answer(text, channel_language=channel_language)
        content, embeds = response_message(response)
        kwargs: dict[str, Any] = {"content": content or None, "embeds": embeds, "allowed_mentions": NO_PINGS}
        kwargs.update(_view_kwargs(feedback_view(response.verdicts)))
        await interaction.followup.send(**kwargs, ephemeral=True)

    def _channel_language(self, interaction: discord.Interaction[Any]) -> Lang | None:
        """The language setting of the channel an interaction came from, if it has one."""
        channel = str(interaction.channel_id or "")
        if not channel:
            return None
        return self.app.core.channel_language(PLATFORM, channel, tenant=guild_tenant(interaction))

    async def _on_command_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        logger.error("command failed", exc_info=error)
        # The words typed are not at hand here: the channel's language, else the asker's Discord language, else
        # English (the asker's also when the store, which holds the setting, is what failed).
        try:
            lang = self._channel_language(interaction) or locale_language(interaction)
        except Exception:
            lang = locale_language(interaction)
        text = word("command_internal_error", lang)
        with contextlib.suppress(discord.HTTPException):
            if interaction.response.is_done():
                await interaction.followup.send(text, ephemeral=True)
            else:
                await interaction.response.send_message(text, ephemeral=True)

    async def close(self) -> None:
        if self.digest_task is not None:
            self.digest_task.cancel()
        if self.poller_task is not None:
            self.poller_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.poller_task
        await super().close()


def _log_task_end(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("feed poller stopped", exc_info=task.exception())


class ShardedNarrativeClient(NarrativeClient, discord.AutoShardedClient):
    """The same bot on discord.py's sharded client: one gateway connection per shard, for a bot in more servers
    than one connection may carry (Discord requires shards from 2,500 servers)."""


def build_discord_client(app: App) -> NarrativeClient:
    """The client NARRATIVE_BOT_DISCORD_SHARDS asks for: unsharded by default; `auto` takes Discord's recommended
    shard count, a number fixes it."""
    shards = app.settings.discord_shards
    if shards is None:
        return NarrativeClient(app)
    if shards == "auto":
        return ShardedNarrativeClient(app)
    return ShardedNarrativeClient(app, shard_count=shards)


async def run_discord(app: App) -> None:
    """Run the Discord bot until the connection ends or the process is asked to stop."""
    token = app.settings.discord_token.get()
    if not token:
        raise ConfigError("DISCORD_TOKEN is required to run on Discord")
    client = build_discord_client(app)
    _stop_on_signals(client.close)
    async with client:
        await client.start(token)


def _stop_on_signals(close: Callable[[], Awaitable[None]]) -> None:
    """SIGTERM (a container stop) closes the gateway cleanly, so the store and HTTP clients close too."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, lambda: asyncio.ensure_future(close()))
