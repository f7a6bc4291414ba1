"""Slack adapter: one Bolt AsyncApp (Socket Mode or HTTP) translating Slack payloads to and from the core."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import aiohttp
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltRequest, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from bot import slack_redact
from bot.adapters.slack_delivery import LOOKBACK_MESSAGES, delivery_metadata, find_delivered, oldest_for
from bot.config import ConfigError, Settings, admin_group_for
from bot.core import strip_links
from bot.digest import Digest, run_digests
from bot.feed_store import verdict_from_json
from bot.history import AlertHistory, Origin, PostedCard
from bot.models import CommandRequest, CommandResponse, FeedAlert, FeedNotice, IncomingMessage, Verdict
from bot.permissions import SlackPermissions, changes_channel
from bot.render.i18n import Lang, reply_language, word
from bot.render.slack_blocks import (
    ACTION_CORRECT,
    ACTION_WRONG,
    FEEDBACK_ACTIONS,
    SlackMessage,
    notice_message,
    parse_feedback_value,
    render_alert,
    render_outcome,
    render_response,
)
from bot.render.slack_home import RecentAlert, home_view
from bot.render.slack_reasons import ACTION_REASON, parse_reason_value, reason_prompt
from bot.render.thread_parent import thread_parent_text

if TYPE_CHECKING:
    from bot.app import App
    from bot.channel_settings import ChannelPolicy

logger = logging.getLogger(__name__)

PLATFORM = "slack"
EVENTS_PATH = "/slack/events"
COMMAND = "/narrative"
DEFAULT_API_URL = "https://slack.com/api/"
# The message shortcut's callback id, as slack-manifest.yaml declares it.
CHECK_SHORTCUT = "check_for_narratives"
HOME_RECENT_ALERTS = 5
# Commands whose work may take longer than Slack's 3 s acknowledgement window (reading a URL).
SLOW_SUBCOMMANDS = frozenset({"check"})
# Plain messages and the few subtypes that are still someone posting text; edits, joins, deletions and bot
# messages are not claims to check.
CHECKED_SUBTYPES = frozenset({"", "thread_broadcast", "file_share"})
# Slack answers these for a post that will never succeed; retrying would only delay the next message.
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "invalid_blocks",
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "missing_scope",
        "msg_too_long",
        "no_text",
        "restricted_action",
        "already_reacted",
        "message_not_found",
        "user_not_in_channel",
    }
)
# Web API methods whose repeat is visible to people: never retried blindly after an answer of unknown outcome.
NOT_REPEATABLE_METHODS = ("chat.postMessage",)
REFUSED_TOKEN_ERRORS = frozenset({"invalid_auth", "not_authed", "account_inactive", "token_revoked"})
PRUNE_EVERY_S = 6 * 3600


# -- Slack text to neutral text ----------------------------------------------------------------------------------

_MARKUP = re.compile(r"<([^<>]*)>")
_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))


def _unescape(text: str) -> str:
    for entity, char in _ENTITIES:
        text = text.replace(entity, char)
    return text


def _bare(url: str) -> str:
    return re.sub(r"^https?://", "", url, flags=re.IGNORECASE).rstrip("/")


def _plain_token(inner: str) -> str:
    target, _, label = inner.partition("|")
    if target.startswith(("http://", "https://", "HTTP://", "HTTPS://")):
        url = _unescape(target)
        label = _unescape(label)
        # A pasted link arrives as <url|url-without-scheme>; only a real hyperlink text is part of the message.
        if not label or _bare(label) == _bare(url) or label == url:
            return f" {url} "
        return f"{label} {url} "
    if target.startswith("mailto:"):
        return _unescape(label or target[len("mailto:") :])
    if target.startswith("@"):
        return f"@{_unescape(label) or target[1:]}"
    if target.startswith("#"):
        return f"#{_unescape(label) or target[1:]}"
    if target.startswith("!"):
        # <!here>, <!channel>, <!subteam^ID|@team>, <!date^...|fallback>
        return _unescape(label) if label else f"@{target[1:].split('^')[0]}"
    return _unescape(label or target)


def slack_text_to_plain(text: str) -> str:
    """Slack's message markup to plain text: links become bare URLs, mentions readable, entities decoded."""
    out: list[str] = []
    pos = 0
    for found in _MARKUP.finditer(text):
        out.append(_unescape(text[pos : found.start()]))
        out.append(_plain_token(found.group(1)))
        pos = found.end()
    out.append(_unescape(text[pos:]))
    return re.sub(r"[ \t]{2,}", " ", "".join(out)).strip()


# -- sending: pacing and retries ---------------------------------------------------------------------------------


class ChannelPacer:
    """At most one post per `interval_s` per channel, Slack's documented steady rate for chat.postMessage.

    Channels are independent: a burst in one never delays another.
    """

    def __init__(
        self,
        interval_s: float = 1.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.interval_s = interval_s
        self.clock = clock
        self.sleep = sleep
        self._locks: dict[str, asyncio.Lock] = {}
        self._last: dict[str, float] = {}

    @contextlib.asynccontextmanager
    async def slot(self, channel: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(channel, asyncio.Lock())
        async with lock:
            last = self._last.get(channel)
            if last is not None:
                wait = last + self.interval_s - self.clock()
                if wait > 0:
                    await self.sleep(wait)
            try:
                yield
            finally:
                self._last[channel] = self.clock()


def _ts_seconds(ts: str) -> float:
    """A Slack message ts ("1712345678.000100") as seconds since the epoch; 0 (look at everything) if odd."""
    try:
        return float(ts)
    except ValueError:
        return 0.0


def _slack_error(exc: SlackApiError) -> str:
    data = getattr(exc.response, "data", None)
    return str(data.get("error", "")) if isinstance(data, Mapping) else ""


def _retry_after(exc: SlackApiError) -> float | None:
    if exc.response.status_code != 429 and _slack_error(exc) != "ratelimited":
        return None
    headers = exc.response.headers or {}
    for key, value in headers.items():
        if key.lower() == "retry-after":
            with contextlib.suppress(TypeError, ValueError):
                return max(float(value if isinstance(value, str) else value[0]), 0.0)
    return 1.0


class WorkspaceNotInstalled(RuntimeError):
    """A post for a workspace that has no installation (or removed the app): nothing can speak for it."""


class SlackPoster:
    """Posts through the Web API with the pacer, and retries what the client's own retry handlers gave up on.

    The client already honours 429 Retry-After a few times; this outer loop covers longer rate limiting and
    network trouble, so a reply is delayed rather than lost. Permanent errors (not in channel, bad blocks) raise
    at once.
    """

    def __init__(
        self,
        client: AsyncWebClient,
        pacer: ChannelPacer | None = None,
        *,
        attempts: int = 6,
        backoff_s: float = 2.0,
        max_backoff_s: float = 60.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        tokens: Callable[[str], str | None] | None = None,
    ) -> None:
        self.client = client
        self.pacer = pacer or ChannelPacer()
        self.attempts = attempts
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.sleep = sleep
        # With several workspaces installed, each one's bot token by team id (bot/slack_installations.py); None
        # for a single-workspace install, where the client's own token serves every call.
        self.tokens = tokens
        self._workspaces: dict[str, tuple[str, SlackPoster]] = {}

    def for_tenant(self, tenant: str) -> SlackPoster:
        """The poster that speaks for one workspace: this one with a single token, else one with the bot token
        that workspace installed (the pacer is shared: Slack's limits are per channel and per app)."""
        if self.tokens is None:
            return self
        token = self.tokens(tenant) if tenant else None
        if token is None:
            raise WorkspaceNotInstalled(f"the Slack workspace {tenant or '(unknown)'} has no installation")
        known = self._workspaces.get(tenant)
        if known is not None and known[0] == token:
            return known[1]
        client = with_retry_handlers(AsyncWebClient(token=token, base_url=self.client.base_url))
        poster = SlackPoster(
            client, self.pacer, attempts=self.attempts, backoff_s=self.backoff_s, max_backoff_s=self.max_backoff_s,
            sleep=self.sleep,
        )
        self._workspaces[tenant] = (token, poster)
        return poster

    async def _call(
        self,
        channel: str,
        method: str,
        call: Callable[[], Awaitable[Any]],
        *,
        recover: Callable[[], Awaitable[Any | None]] | None = None,
        uncertain: bool = False,
    ) -> Any:
        """Call with retries. `recover`, for a call that must not happen twice, runs before any retry that follows
        an answer of unknown outcome (a timeout, a dropped connection, a 5xx: Slack may have done it); what it
        returns, when not None, is the earlier call's result and no retry is made. `uncertain` starts that way."""
        delay = self.backoff_s
        for attempt in range(1, self.attempts + 1):
            try:
                if uncertain and recover is not None:
                    found = await recover()
                    if found is not None:
                        return found
                    uncertain = False  # looked, and it is not there: the call did not happen
                async with self.pacer.slot(channel):
                    return await call()
            except SlackApiError as exc:
                error = _slack_error(exc)
                wait = _retry_after(exc)
                if wait is None and (error in PERMANENT_ERRORS or exc.response.status_code in (400, 403, 404)):
                    raise
                uncertain = uncertain or exc.response.status_code >= 500
                if attempt == self.attempts:
                    raise
                wait = wait if wait is not None else delay
                logger.warning("%s to %s failed (%s); retry %d in %.1fs", method, channel, error, attempt, wait)
            except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                uncertain = True
                if attempt == self.attempts:
                    raise
                wait = delay
                logger.warning("%s to %s failed (%r); retry %d in %.1fs", method, channel, exc, attempt, wait)
            await self.sleep(min(wait, self.max_backoff_s))
            delay = min(delay * 2, self.max_backoff_s)
        raise AssertionError("unreachable")  # the loop returns or raises

    async def post(
        self,
        channel: str,
        message: SlackMessage,
        *,
        thread_ts: str | None = None,
        key: str | None = None,
        maybe_posted_since: float | None = None,
    ) -> str:
        """Post a message (in a thread when `thread_ts`); returns its ts.

        With a delivery `key` the post carries it in its metadata and happens at most once: after an answer of
        unknown outcome, and first of all when `maybe_posted_since` says an earlier attempt (another run of the
        process, perhaps) began then, the channel's recent history is searched for the key before posting.
        """
        kwargs: dict[str, Any] = {
            "channel": channel,
            **message.as_kwargs(),
            # The card already names the article; Slack's own preview of it would double the reply's height.
            "unfurl_links": False,
            "unfurl_media": False,
        }
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
        recover: Callable[[], Awaitable[str | None]] | None = None
        if key is not None:
            kwargs["metadata"] = delivery_metadata(key)
            since = maybe_posted_since if maybe_posted_since is not None else time.time()

            async def recover() -> str | None:
                return await self.find_posted(channel, key, thread_ts=thread_ts, since=since)

        response = await self._call(
            channel,
            "chat.postMessage",
            lambda: self.client.chat_postMessage(**kwargs),
            recover=recover,
            uncertain=maybe_posted_since is not None,
        )
        return response if isinstance(response, str) else str(response.get("ts", ""))

    async def find_posted(self, channel: str, key: str, *, thread_ts: str | None, since: float) -> str | None:
        """The ts of our post carrying `key` in the channel (or thread) since about `since`, if Slack has it.

        Raises on trouble of unknown outcome (the caller retries the lookup, never the post). When Slack refuses
        to show the history for good (a missing scope), the post cannot be checked: it is logged and treated as
        not posted, one of the cases the README's "Posting once" lists where a repeat stays possible.
        """
        args: dict[str, Any] = {
            "channel": channel,
            "oldest": oldest_for(since),
            "limit": LOOKBACK_MESSAGES,
            "include_all_metadata": True,
        }
        try:
            if thread_ts:
                response = await self.client.conversations_replies(ts=thread_ts, **args)
            else:
                response = await self.client.conversations_history(inclusive=True, **args)
        except SlackApiError as exc:
            if _retry_after(exc) is not None or exc.response.status_code >= 500:
                raise
            logger.warning("cannot check %s for an earlier post of %s (%s); posting", channel, key, _slack_error(exc))
            return None
        found = find_delivered(response.get("messages") or (), key)
        if found is not None:
            logger.info("%s is already in %s (ts %s): not posting it again", key, channel, found)
        return found

    async def ephemeral(
        self,
        channel: str,
        user: str,
        text: str,
        *,
        thread_ts: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
    ) -> None:
        kwargs: dict[str, Any] = {"channel": channel, "user": user, "text": text}
        if blocks:
            kwargs["blocks"] = blocks
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
        if blocks:
            kwargs["blocks"] = blocks
        await self._call(channel, "chat.postEphemeral", lambda: self.client.chat_postEphemeral(**kwargs))

    async def react(self, channel: str, ts: str, name: str) -> None:
        await self._call(
            channel, "reactions.add", lambda: self.client.reactions_add(channel=channel, timestamp=ts, name=name)
        )


def _team_id(body: Mapping[str, Any]) -> str | None:
    team = body.get("team_id") or (body.get("team") or {}).get("id")
    return str(team) if team else None


class PolicyOf(Protocol):
    """ChannelSettings.policy: a channel's settings, in its workspace."""

    def __call__(self, platform: str, channel_id: str, *, tenant: str = "") -> ChannelPolicy: ...


async def record_posted(
    history: AlertHistory,
    poster: SlackPoster,
    channel: str,
    message_ref: str,
    verdicts: Sequence[Verdict],
    *,
    origin: Origin,
    posted_ts: str,
    workspace_id: str | None = None,
    tenant: str = "",
) -> None:
    """Keep a posted card in the alert history, with its permalink when Slack gives one (best effort: the card
    is posted already, so nothing here may fail the delivery)."""
    permalink: str | None = None
    if posted_ts:
        try:
            answer = await poster.client.chat_getPermalink(channel=channel, message_ts=posted_ts)
            found = answer.get("permalink")
            permalink = found if isinstance(found, str) and found else None
        except Exception as exc:  # a missing permalink costs a link in `recent`, nothing more
            logger.info("no permalink for %s in %s: %r", posted_ts, channel, exc)
    history.record_safely(
        PostedCard(
            PLATFORM, channel, message_ref, tuple(verdicts), origin, workspace_id, posted_ts or None, permalink,
            tenant=tenant,
        )
    )


class SlackAlertSender:
    """The feed poller's way into Slack (bot.ports.AlertSender): the chat card plus the feed and item link; also
    the digest loop's (bot.digest.DigestSender).

    A channel whose `thread` setting is on gets one line per alert, with the card in that line's thread; both
    posts carry their own delivery key, so a retry finds whichever of the two already went out.
    """

    platform = PLATFORM

    def __init__(
        self, poster: SlackPoster, *, policy: PolicyOf | None = None,
        history: AlertHistory | None = None,
    ) -> None:
        self.poster = poster
        self.policy = policy
        self.history = history

    async def send_alert(self, alert: FeedAlert) -> None:
        ref = f"alert:{alert.alert_id}"
        card = render_alert(alert.verdict, ref)
        threaded = self.policy is not None and self.policy(PLATFORM, alert.channel_id, tenant=alert.tenant).thread
        poster = self.poster.for_tenant(alert.tenant)
        if not threaded:
            posted_ts = await poster.post(
                alert.channel_id, card, key=alert.delivery_key, maybe_posted_since=alert.attempted_at
            )
        else:
            parent = await poster.post(
                alert.channel_id,
                notice_message(thread_parent_text(alert.verdict)),
                key=alert.delivery_key,
                maybe_posted_since=alert.attempted_at,
            )
            posted_ts = await poster.post(
                alert.channel_id,
                card,
                thread_ts=parent,
                key=f"{alert.delivery_key}:card",
                maybe_posted_since=alert.attempted_at,
            )
        if self.history is not None:
            await record_posted(
                self.history, poster, alert.channel_id, ref, (alert.verdict,), origin="feed", posted_ts=posted_ts,
                workspace_id=alert.tenant or None, tenant=alert.tenant,
            )

    async def send_digest(self, digest: Digest) -> None:
        """The weekly digest through Slack's external upload (files.getUploadURLExternal, the bytes, then
        files.completeUploadExternal), which shares the chart in the channel with the text as its comment."""
        # No retry loop of our own: a failed upload raises, and the digest loop tries again at its next round
        # (the client still honours 429 Retry-After).
        poster = self.poster.for_tenant(digest.tenant)
        async with poster.pacer.slot(digest.channel_id):
            await poster.client.files_upload_v2(
                channel=digest.channel_id,
                file=digest.chart_png,
                filename=digest.chart_name,
                title=digest.upload_title,
                alt_txt=digest.chart_alt,
                initial_comment=digest.text,
            )

    async def send_notice(self, notice: FeedNotice) -> None:
        await self.poster.for_tenant(notice.tenant).post(
            notice.channel_id,
            notice_message(notice.text),
            key=notice.delivery_key,
            maybe_posted_since=notice.attempted_at,
        )


# -- building the Bolt app -----------------------------------------------------------------------------------------


def workspace_tokens(app: App) -> Callable[[str], str | None] | None:
    """Each workspace's bot token when the app is installed through OAuth; None with a single SLACK_BOT_TOKEN."""
    if not app.settings.slack_oauth:
        return None
    from bot.slack_installations import SlackInstallations

    return SlackInstallations(app.store).bot_token


def make_client(settings: Settings, *, rate_limit_retries: int = 5) -> AsyncWebClient:
    """The Web API client: SLACK_API_URL or Slack's, with retries for 429 (Retry-After) and dropped connections."""
    return with_retry_handlers(
        AsyncWebClient(
            token=settings.slack_bot_token.get() or None,
            base_url=settings.slack_api_url or DEFAULT_API_URL,
            timeout=30,
        ),
        rate_limit_retries=rate_limit_retries,
    )


class _SafeConnectionErrorRetryHandler(AsyncConnectionErrorRetryHandler):
    """Retries dropped connections except for posts: a connection that drops after the request was sent may
    have posted, and only SlackPoster knows how to check that before posting again."""

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if request.url.rstrip("/").endswith(NOT_REPEATABLE_METHODS):
            return False
        return await super()._can_retry_async(state=state, request=request, response=response, error=error)


def with_retry_handlers(client: AsyncWebClient, *, rate_limit_retries: int = 5) -> AsyncWebClient:
    # slack_sdk retries only connection errors by default; a 429 would otherwise surface as an error at once.
    # Its default connection-error handler would repeat a post blindly: ours replaces it.
    client.retry_handlers[:] = [
        h for h in client.retry_handlers if type(h) is not AsyncConnectionErrorRetryHandler
    ]
    kinds = {type(h) for h in client.retry_handlers}
    if AsyncRateLimitErrorRetryHandler not in kinds:
        client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=rate_limit_retries))
    if _SafeConnectionErrorRetryHandler not in kinds:
        client.retry_handlers.append(_SafeConnectionErrorRetryHandler(max_retry_count=2))
    return client


def _subcommand(text: str) -> str:
    return text.strip().partition(" ")[0].lower()


def _is_slow(text: str) -> bool:
    """Subcommands that read the network (a link, a feed tried before subscribing): answered after the ack."""
    words = text.lower().split()
    return bool(words) and (words[0] in SLOW_SUBCOMMANDS or words[:2] == ["feeds", "add"])


def _command_payload(response: CommandResponse, command: Mapping[str, Any]) -> dict[str, Any]:
    # Feedback on a check result refers to that invocation; trigger ids are unique per command.
    message = render_response(response, f"command:{command.get('trigger_id') or command.get('channel_id', '')}")
    return {
        **message.as_kwargs(),
        "response_type": "ephemeral" if response.ephemeral else "in_channel",
    }


class SlackHandlers:
    """What the Bolt listeners do, with Slack payloads turned into neutral models before the core sees them."""

    def __init__(self, app: App, poster: SlackPoster) -> None:
        self.core = app.core
        self.store = app.store
        self.settings = app.settings
        self.poster = poster
        self.permissions = SlackPermissions(poster.client, admin_group_for(app.settings.slack_admin_group, ""))
        self._tenant_permissions: dict[str, SlackPermissions] = {}

    def permissions_for(self, tenant: str) -> SlackPermissions:
        """Who may change settings is asked of the user's own workspace, with its own token."""
        poster = self.poster.for_tenant(tenant)
        # A user group is a workspace's own: each workspace may name its group (see admin_group_for()).
        group = admin_group_for(self.settings.slack_admin_group, tenant)
        if poster is self.poster and group == self.permissions.admin_group:
            return self.permissions
        known = self._tenant_permissions.get(tenant)
        if known is None or known.client is not poster.client or known.admin_group != group:
            known = SlackPermissions(poster.client, group)
            self._tenant_permissions[tenant] = known
        return known

    # -- messages --------------------------------------------------------------------------------------------

    @staticmethod
    def incoming(event: Mapping[str, Any], tenant: str = "") -> IncomingMessage | None:
        """A neutral message from a `message` event, or None for what the bot must not answer."""
        if event.get("subtype", "") not in CHECKED_SUBTYPES:
            return None  # edits, deletions, joins, channel topic changes ...
        if event.get("bot_id") or event.get("bot_profile") or event.get("subtype") == "bot_message":
            return None  # other bots (our own are dropped by Bolt already): never argue with a bot
        text = event.get("text")
        channel = event.get("channel")
        ts = event.get("ts")
        if not isinstance(text, str) or not isinstance(channel, str) or not isinstance(ts, str):
            return None
        return IncomingMessage(
            platform=PLATFORM,
            channel_id=channel,
            message_id=ts,
            text=slack_text_to_plain(text),
            user_id=str(event.get("user", "")),
            thread_id=event.get("thread_ts") if isinstance(event.get("thread_ts"), str) else None,
            tenant=tenant,
        )

    async def on_message(self, body: Mapping[str, Any], event: Mapping[str, Any], retry_num: str | None) -> None:
        message = self.incoming(event, self.tenant_of(body))
        if message is None:
            return
        poster = self.poster.for_tenant(message.tenant)
        event_id = body.get("event_id")
        # Slack re-sends an event it thinks was lost; the event id catches that before any work, and the core's
        # per-message claim catches the rest (the same message via another event, a second process).
        if isinstance(event_id, str) and not self.store.claim_event(PLATFORM, event_id):
            logger.info("event %s already handled (retry %s)", event_id, retry_num or "-")
            return
        try:
            outcome = await self.core.handle_message(message)
        except BaseException:
            if isinstance(event_id, str):
                self.store.release_event(PLATFORM, event_id)
            raise
        if outcome.duplicate:
            return
        if not outcome.should_reply:
            if outcome.checked:
                await self._maybe_react(message)
            return
        reply = render_outcome(outcome, message.message_id)
        # A re-sent event may follow a reply whose answer was lost (it is released only when posting failed):
        # then look in the thread first. The reply cannot be older than the message it answers.
        since = _ts_seconds(message.message_id) if retry_num is not None else None
        try:
            posted_ts = await poster.post(
                message.channel_id,
                reply,
                thread_ts=message.thread_id or message.message_id,
                key=message.reply_key,
                maybe_posted_since=since,
            )
        except Exception:
            logger.exception("could not reply to %s/%s", message.channel_id, message.message_id)
            # Both claims go, so Slack's re-send of this event gets a second chance to answer.
            self.core.reply_failed(message)
            if isinstance(event_id, str):
                self.store.release_event(PLATFORM, event_id)
            return
        if outcome.verdicts:
            # The feedback buttons of a reply name the message it answers (its ts), so the history does too.
            await record_posted(
                self.core.history, poster, message.channel_id, message.message_id, outcome.verdicts,
                origin="message", posted_ts=posted_ts, workspace_id=_team_id(body), tenant=message.tenant,
            )

    async def _maybe_react(self, message: IncomingMessage) -> None:
        from bot.links import find_links

        name = self.settings.no_match_reaction
        # React only when a link was read: a reaction on every long chat line would be noise.
        if not name or not find_links(message.text, limit=1):
            return
        try:
            await self.poster.for_tenant(message.tenant).react(message.channel_id, message.message_id, name)
        except SlackApiError as exc:
            logger.info("could not add :%s: to %s: %s", name, message.message_id, _slack_error(exc))

    # -- /narrative ------------------------------------------------------------------------------------------

    def tenant_of(self, body: Mapping[str, Any]) -> str:
        """The tenant a payload's rows belong to: its workspace when the app serves several (OAuth installs);
        '' for an install with one bot token, whose one workspace owns every row (as before workspaces were
        told apart, so an upgrade keeps its subscriptions and settings)."""
        return (_team_id(body) or "") if self.settings.slack_oauth else ""

    def command_request(self, command: Mapping[str, Any]) -> CommandRequest:
        return CommandRequest(
            platform=PLATFORM,
            channel_id=str(command.get("channel_id", "")),
            text=slack_text_to_plain(str(command.get("text", ""))),
            user_id=str(command.get("user_id", "")),
            tenant=self.tenant_of(command),
        )

    async def ack_command(self, ack: AsyncAck, command: Mapping[str, Any]) -> None:
        request = self.command_request(command)
        if _is_slow(request.text):
            # The answer comes through the response URL; say at once that it is coming.
            await ack(text=word("checking", self._ack_language(request)), response_type="ephemeral")
            return
        response = await self._answer(request)
        await ack(**_command_payload(response, command))

    def _ack_language(self, request: CommandRequest) -> Lang:
        """The language of "Checking…", as the answer that follows will choose it: the channel's, else (a check)
        the language of the words checked, else English."""
        channel = self.core.channel_language(PLATFORM, request.channel_id, tenant=request.tenant)
        sub, _, rest = request.text.strip().partition(" ")
        return reply_language(strip_links(rest) if sub.lower() == "check" else "", channel)

    async def _answer(self, request: CommandRequest) -> CommandResponse:
        if changes_channel(request.text):
            # A refusal in the channel's language, else in that of the words typed, like the command's answers.
            channel = self.core.channel_language(PLATFORM, request.channel_id, tenant=request.tenant)
            lang = reply_language(strip_links(request.text), channel)
            decision = await self.permissions_for(request.tenant).may_change(request.user_id, lang)
            if not decision.allowed:
                logger.info("refused /narrative %s to %s", _subcommand(request.text), request.user_id or "?")
                return CommandResponse(decision.refusal, error=True)
        try:
            return await self.core.handle_command(request)
        except Exception:
            logger.exception("/narrative %s failed", _subcommand(request.text))
            # In the language the answer would have had; the store may be what failed, so not at any cost.
            try:
                channel = self.core.channel_language(PLATFORM, request.channel_id, tenant=request.tenant)
            except Exception:
                channel = None
            lang = reply_language(strip_links(request.text), channel)
            return CommandResponse(word("internal_error", lang), error=True)

    async def run_slow_command(self, command: Mapping[str, Any], respond: AsyncRespond) -> None:
        request = self.command_request(command)
        if not _is_slow(request.text):
            return
        response = await self._answer(request)
        payload = _command_payload(response, command)
        await respond(
            text=payload["text"],
            blocks=payload["blocks"],
            response_type=payload["response_type"],
            replace_original=False,
            unfurl_links=False,
            unfurl_media=False,
        )

    # -- feedback buttons ------------------------------------------------------------------------------------

    async def on_feedback(self, body: Mapping[str, Any], action: Mapping[str, Any], respond: AsyncRespond) -> None:
        value = FEEDBACK_ACTIONS.get(str(action.get("action_id", "")))
        parsed = parse_feedback_value(str(action.get("value", "")))
        user = str((body.get("user") or {}).get("id", ""))
        container = body.get("container") or {}
        channel = str((body.get("channel") or {}).get("id") or container.get("channel_id") or "")
        if value is None or parsed is None or not user or not channel:
            logger.warning("ignoring a malformed feedback click")
            return
        narrative_id, message_ref, card_language = parsed
        tenant = self.tenant_of(body)
        # The thanks in the card's language (its button carries it); a button from before that, the channel's
        # language, else English: a click has no words of its own.
        lang = card_language or self.core.channel_language(PLATFORM, channel, tenant=tenant) or "en"
        thanks = self.core.record_feedback(
            PLATFORM, channel, message_ref, narrative_id, user, value, channel_language=lang, tenant=tenant
        )
        # A ❌ is followed by the optional question why, as buttons in the same private answer, in that language.
        answer = reason_prompt(thanks, narrative_id, message_ref, lang) if value == "wrong" else None
        message = body.get("message") or {}
        thread_ts = container.get("thread_ts") or message.get("thread_ts")
        try:
            await self.poster.for_tenant(tenant).ephemeral(
                channel, user, answer.text if answer else thanks, thread_ts=thread_ts,
                blocks=answer.blocks if answer else None,
            )
        except SlackApiError as exc:
            # Not in that channel (a card from a command answer): the click's response URL still reaches the user.
            logger.info("chat.postEphemeral failed (%s); answering through the response URL", _slack_error(exc))
            extra: dict[str, Any] = {"blocks": answer.blocks} if answer else {}
            text = answer.text if answer else thanks
            await respond(text=text, response_type="ephemeral", replace_original=False, **extra)

    async def on_reason(self, body: Mapping[str, Any], action: Mapping[str, Any], respond: AsyncRespond) -> None:
        """A reason picked after a ❌: stored with that ❌, and the question replaced by the thanks."""
        parsed = parse_reason_value(str(action.get("value", "")))
        user = str((body.get("user") or {}).get("id", ""))
        if parsed is None or not user:
            logger.warning("ignoring a malformed feedback reason")
            return
        reason, narrative_id, message_ref, lang = parsed
        container = body.get("container") or {}
        channel = str((body.get("channel") or {}).get("id") or container.get("channel_id") or "")
        thanks = self.core.record_reason(
            PLATFORM, message_ref, narrative_id, user, reason, tenant=self.tenant_of(body), channel_id=channel,
            channel_language=lang,
        )  # fmt: skip
        await respond(text=thanks, response_type="ephemeral", replace_original=True)


    # -- the message shortcut and the Home tab ---------------------------------------------------------------

    async def on_check_shortcut(self, body: Mapping[str, Any], respond: AsyncRespond) -> None:
        """"Check for narratives" on a message: its text and links checked, the answer for the clicker alone."""
        user = str((body.get("user") or {}).get("id", ""))
        channel = str((body.get("channel") or {}).get("id", ""))
        tenant = self.tenant_of(body)
        message = body.get("message") or {}
        text = slack_text_to_plain(str(message.get("text") or ""))
        # Its answers in the channel's language, else that of the message (English when it has no words).
        channel_language = self.core.channel_language(PLATFORM, channel, tenant=tenant) if channel else None
        if not text:
            response = CommandResponse(word("no_text_to_check", channel_language or "en"), error=True)
        else:
            try:
                response = await self.core.check_answer(text, channel_language=channel_language)
            except Exception:
                logger.exception("checking a message from the shortcut failed")
                lang = reply_language(strip_links(text), channel_language)
                response = CommandResponse(word("internal_error", lang), error=True)
        answer = render_response(response, f"shortcut:{message.get('ts', '')}")
        thread_ts = message.get("thread_ts") if isinstance(message.get("thread_ts"), str) else None
        try:
            await self.poster.for_tenant(tenant).ephemeral(
                channel, user, answer.text, thread_ts=thread_ts, blocks=answer.blocks
            )
        except SlackApiError as exc:
            # Not a member of that channel (or a DM): the shortcut's response URL reaches the user all the same.
            logger.info("chat.postEphemeral failed (%s); answering through the response URL", _slack_error(exc))
            await respond(text=answer.text, blocks=answer.blocks, response_type="ephemeral", replace_original=False)

    def home_view(self, tenant: str = "") -> dict[str, Any]:
        """The Home tab of a workspace: its channels' settings and its latest alerts, none of another's."""
        channels = self.core.channels
        configured = [
            (cid, channels.policy(PLATFORM, cid, tenant=tenant))
            for cid in channels.configured_channels(PLATFORM, tenant=tenant)
        ]
        rows = self.store.query(
            """SELECT channel_id, payload FROM feed_alerts
               WHERE platform = ? AND tenant = ? AND kind = 'alert' AND status = 'posted'
               ORDER BY posted_at DESC LIMIT ?""",
            (PLATFORM, tenant, HOME_RECENT_ALERTS),
        )
        recent = []
        for row in rows:
            try:
                recent.append(RecentAlert(row[0], verdict_from_json(row[1])))
            except (ValueError, TypeError, KeyError):
                continue  # a row an older version wrote differently: left out of the list, not a broken tab
        return home_view(channels.defaults(), configured, recent)

    async def on_home_opened(self, event: Mapping[str, Any], body: Mapping[str, Any] | None = None) -> None:
        user = event.get("user")
        if event.get("tab", "home") != "home" or not isinstance(user, str):
            return
        tenant = self.tenant_of(body or {})
        try:
            await self.poster.for_tenant(tenant).client.views_publish(user_id=user, view=self.home_view(tenant))
        except SlackApiError as exc:
            logger.warning("could not publish the Home tab for %s: %s", user, _slack_error(exc))


class _QuietTokenWarning(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN from the environment itself and then warns that our client overrides it;
    the client carries that same token, so the warning only alarms operators."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


_bolt_logger = logging.getLogger("bot.adapters.slack.bolt")
_bolt_logger.addFilter(_QuietTokenWarning())
slack_redact.install((_bolt_logger,))


def build_slack_app(
    app: App,
    *,
    client: AsyncWebClient | None = None,
    poster: SlackPoster | None = None,
    process_before_response: bool = False,
    pace_s: float = 1.0,
) -> AsyncApp:
    """The Bolt app with every listener. Tests pass a client pointed at a fake Web API and process_before_response.

    In production `process_before_response` stays False: events are acknowledged at once and the reading and
    matching happen after, so Slack never re-sends an event only because an article was slow to load.
    """
    settings = app.settings
    if poster is not None:
        client = poster.client
    client = with_retry_handlers(client) if client is not None else make_client(settings)
    poster = poster or SlackPoster(client, ChannelPacer(pace_s), tokens=workspace_tokens(app))
    if poster.tokens is None:
        poster.tokens = workspace_tokens(app)  # with OAuth every workspace speaks with its own token
    handlers = SlackHandlers(app, poster)
    if settings.slack_oauth:
        from bot.adapters.slack_oauth import oauth_settings

        # Several workspaces: Bolt finds each event's workspace in the installation store and serves the
        # install pages (/slack/install, /slack/oauth_redirect) beside the events endpoint.
        oauth = oauth_settings(settings, app.store)
        bolt = AsyncApp(
            name="narrative-bot",
            client=client,
            signing_secret=settings.slack_signing_secret.get(),
            oauth_settings=oauth,
            installation_store=oauth.installation_store,
            installation_store_bot_only=True,
            process_before_response=process_before_response,
            logger=_bolt_logger,
        )
        # A workspace that removes the app (or revokes its token) is forgotten: its token is not kept a day longer.
        bolt.enable_token_revocation_listeners()
    else:
        bolt = AsyncApp(
            name="narrative-bot",
            client=client,
            signing_secret=settings.slack_signing_secret.get(),
            process_before_response=process_before_response,
            logger=_bolt_logger,
        )

    @bolt.event("message")
    async def message_event(body: dict[str, Any], event: dict[str, Any], request: AsyncBoltRequest) -> None:
        retry = request.headers.get("x-slack-retry-num")
        await handlers.on_message(body, event, retry[0] if retry else None)

    async def ack_command(ack: AsyncAck, command: dict[str, Any]) -> None:
        await handlers.ack_command(ack, command)

    async def run_slow_command(command: dict[str, Any], respond: AsyncRespond) -> None:
        await handlers.run_slow_command(command, respond)

    bolt.command(COMMAND)(ack=ack_command, lazy=[run_slow_command])

    async def feedback(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        await handlers.on_feedback(body, action, respond)

    bolt.action(ACTION_CORRECT)(feedback)
    bolt.action(ACTION_WRONG)(feedback)

    async def check_shortcut(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()  # at once: reading the message's links may take longer than Slack's 3 s
        await handlers.on_check_shortcut(body, respond)

    bolt.shortcut(CHECK_SHORTCUT)(check_shortcut)

    @bolt.event("app_home_opened")
    async def home_opened(event: dict[str, Any], body: dict[str, Any]) -> None:
        await handlers.on_home_opened(event, body)

    async def reason(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        await handlers.on_reason(body, action, respond)

    bolt.action(re.compile(f"^{ACTION_REASON}_"))(reason)
    return bolt


# -- running -----------------------------------------------------------------------------------------------------


async def _check_token(client: AsyncWebClient) -> None:
    """Fail at start, with a clear message, when Slack refuses the bot token."""
    try:
        auth = await client.auth_test()
    except SlackApiError as exc:
        error = _slack_error(exc)
        if error in REFUSED_TOKEN_ERRORS:
            raise ConfigError(f"SLACK_BOT_TOKEN was refused by Slack ({error})") from None
        logger.warning("auth.test failed (%s); continuing, Bolt will retry", error)
        return
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        logger.warning("cannot reach the Slack Web API at %s yet (%s); continuing", client.base_url, exc)
        return
    logger.info("connected to Slack team %s as %s", auth.get("team"), auth.get("user"))


async def _prune_forever(app: App) -> None:
    while True:
        await asyncio.sleep(PRUNE_EVERY_S)
        try:
            app.store.prune()
        except Exception:
            logger.exception("pruning dedup records failed")


def _start_background(app: App, poster: SlackPoster) -> list[asyncio.Task[None]]:
    tasks = [asyncio.create_task(_prune_forever(app), name="slack-prune")]
    poller = getattr(app, "feed_poller", None)
    if poller is not None:
        sender = SlackAlertSender(poster, policy=app.core.channels.policy, history=app.core.history)
        tasks.append(asyncio.create_task(poller.run(sender), name="slack-feed-poller"))
    digests = run_digests(app.core.history, app.core.digests, SlackAlertSender(poster, history=app.core.history))
    tasks.append(asyncio.create_task(digests, name="slack-weekly-digest"))
    return tasks


async def _serve_http(bolt: AsyncApp, port: int, stop: asyncio.Event) -> None:
    from aiohttp import web
    from slack_bolt.app.async_server import AsyncSlackAppServer

    server = AsyncSlackAppServer(port=port, path=EVENTS_PATH, app=bolt)
    runner = web.AppRunner(server.web_app)
    await runner.setup()
    try:
        await web.TCPSite(runner, host="0.0.0.0", port=port).start()
        logger.info("Slack HTTP mode: listening on port %d at %s", port, EVENTS_PATH)
        await stop.wait()
    finally:
        await runner.cleanup()


async def _serve_socket_mode(bolt: AsyncApp, app_token: str, stop: asyncio.Event) -> None:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    handler = AsyncSocketModeHandler(bolt, app_token)
    await handler.connect_async()  # type: ignore[no-untyped-call]
    logger.info("Slack Socket Mode: connected")
    try:
        await stop.wait()
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]


async def run_slack(app: App) -> None:
    """Run the Slack bot until cancelled or SIGTERM: Socket Mode with SLACK_APP_TOKEN, else HTTP on PORT."""
    settings = app.settings
    if not settings.slack_bot_token and not settings.slack_oauth:
        raise ConfigError(
            "SLACK_BOT_TOKEN (one workspace) or NARRATIVE_BOT_SLACK_CLIENT_ID and _CLIENT_SECRET (OAuth) are "
            "required for --platform slack"
        )
    client = make_client(settings)
    poster = SlackPoster(client, ChannelPacer(1.0), tokens=workspace_tokens(app))
    bolt = build_slack_app(app, poster=poster)
    if not settings.slack_oauth:
        await _check_token(client)
    stop = asyncio.Event()
    # Containers stop services with SIGTERM: close the server and the store cleanly instead of dying mid-write.
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        loop.add_signal_handler(signal.SIGTERM, stop.set)
    tasks = _start_background(app, poster)
    try:
        if settings.slack_app_token and not settings.slack_oauth:
            await _serve_socket_mode(bolt, settings.slack_app_token.get(), stop)
        else:
            await _serve_http(bolt, settings.port, stop)
        logger.info("Slack adapter stopped")
    finally:
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.remove_signal_handler(signal.SIGTERM)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
