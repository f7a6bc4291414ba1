"""A fake Slack Web API and article pages on loopback ports, and signed Slack request bodies, for offline tests."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from slack_sdk.signature import SignatureVerifier

FIXTURES = Path(__file__).parent / "fixtures"
SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test"
APP_TOKEN = "xapp-1-test"
BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
TEAM_ID = "T0001"
PERMALINK_BASE = "https://test.slack.com/archives/"
CLIENT_ID = "1111.2222"
CLIENT_SECRET = "test-client-secret"


@dataclass(frozen=True)
class Workspace:
    """A workspace the fake knows: its bot token (what auth.test answers for it) and its install code."""

    team_id: str
    bot_token: str
    name: str = "Test newsroom"
    bot_user_id: str = BOT_USER_ID
    bot_id: str = BOT_ID
    code: str = ""  # what oauth.v2.access exchanges for bot_token


@dataclass
class Call:
    """One request the fake received: a Web API method (or `response_url`) and its parameters."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str]


@dataclass
class FakeSlackApi:
    """Answers auth.test and records chat.postMessage & co., like bolt-python's tests/mock_web_api_server.

    `rate_limit_once` names methods that get one HTTP 429 with `Retry-After: 1` before succeeding; `errors`
    makes a method fail the way Slack does (HTTP 200, `ok: false`).
    Posts to `response_url(...)` are recorded as the method `response_url`.
    """

    calls: list[Call] = field(default_factory=list)
    rate_limit_once: set[str] = field(default_factory=set)
    rate_limited: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)  # method -> Slack error to answer with
    port: int = 0
    _runner: web.AppRunner | None = None
    socket_received: list[dict[str, Any]] = field(default_factory=list)
    _socket: web.WebSocketResponse | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _ts: int = 0
    # What chat.postMessage stored, per channel, oldest first: served by conversations.history/replies.
    channel_messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # Seconds to hold the answer to a method's next calls after doing the work (one entry per call), like a
    # Web API answer slower than the client's timeout: the message is posted all the same.
    slow_answers: dict[str, list[float]] = field(default_factory=dict)
    # How many of the next posts lose their answer after the message is stored: the connection drops unanswered,
    # or Slack answers HTTP 500 (its outcome unknown to the caller, although the message is there).
    dropped_answers: int = 0
    server_errors_after_posting: int = 0
    # users.info answers from here (user id -> fields such as is_admin, is_owner); anyone else is a plain member.
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    # usergroups.users.list answers from here (group id -> member ids); another group is `no_such_subteam`.
    usergroups: dict[str, list[str]] = field(default_factory=dict)
    # views.publish: the latest Home tab view per user.
    home_views: dict[str, dict[str, Any]] = field(default_factory=dict)
    # External uploads: what files.getUploadURLExternal handed out (and the bytes sent there), and what
    # files.completeUploadExternal shared, with its channel and comment.
    pending_files: dict[str, dict[str, Any]] = field(default_factory=dict)
    shared_files: list[dict[str, Any]] = field(default_factory=list)
    _files: int = 0
    # Bot tokens the fake accepts, by token: the one workspace of the single-token tests, and any the test adds
    # (each answers auth.test as its own team; oauth.v2.access hands out a workspace's token for its code).
    workspaces: dict[str, Workspace] = field(
        default_factory=lambda: {BOT_TOKEN: Workspace(TEAM_ID, BOT_TOKEN)}
    )

    def add_workspace(self, workspace: Workspace) -> Workspace:
        self.workspaces[workspace.bot_token] = workspace
        return workspace

    def token_of(self, call: Call) -> str:
        """The bot token a recorded call was made with."""
        return call.headers.get("authorization", "").removeprefix("Bearer ")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, name: str = "r1") -> str:
        return f"http://127.0.0.1:{self.port}/response/{name}"

    async def start(self) -> FakeSlackApi:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)  # conversations.history & co. are GET with a query
        app.router.add_post("/response/{name}", self._response)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/socket", self._websocket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            data = await request.json()
            return dict(data) if isinstance(data, dict) else {"_body": data}
        form = dict(await request.post())
        params: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
        for key in ("blocks", "attachments"):  # form-encoded calls send these as JSON strings
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        for key, value in request.query.items():
            params.setdefault(key, value)
        return params

    def _record(self, method: str, params: dict[str, Any], request: web.Request) -> None:
        self.calls.append(Call(method, params, {k.lower(): v for k, v in request.headers.items()}))
        self._changed.set()

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        if method in self.rate_limit_once:
            self.rate_limit_once.discard(method)
            self.rate_limited.append(method)
            return web.json_response({"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "1"})
        self._record(method, params, request)
        if method == "apps.connections.open":  # Socket Mode: the only method that takes the app-level token
            if request.headers.get("Authorization") != f"Bearer {APP_TOKEN}":
                return web.json_response({"ok": False, "error": "invalid_auth"})
            return web.json_response({"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket"})
        if method == "oauth.v2.access":  # the install flow: the app's own id and secret, no token
            return web.json_response(self._oauth_access(params, request))
        workspace = self.workspaces.get(request.headers.get("Authorization", "").removeprefix("Bearer "))
        if workspace is None:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        if method in self.errors:
            return web.json_response({"ok": False, "error": self.errors[method]})
        if method == "auth.test":
            return web.json_response(
                {
                    "ok": True,
                    "url": "https://test.slack.com/",
                    "team": workspace.name,
                    "user": "narrative-bot",
                    "team_id": workspace.team_id,
                    "user_id": workspace.bot_user_id,
                    "bot_id": workspace.bot_id,
                    "is_enterprise_install": False,
                }
            )
        if method == "chat.postMessage":
            message = self.store_message(params)
            delays = self.slow_answers.get(method)
            if delays:
                await asyncio.sleep(delays.pop(0))
            if self.dropped_answers > 0:
                self.dropped_answers -= 1
                assert request.transport is not None
                request.transport.close()
                return web.Response()  # never reaches the client
            if self.server_errors_after_posting > 0:
                self.server_errors_after_posting -= 1
                return web.json_response({"ok": False, "error": "internal_error"}, status=500)
            return web.json_response({"ok": True, "channel": params.get("channel"), "ts": message["ts"],
                                      "message": message})
        if method == "conversations.history":
            return web.json_response(self._history(params))
        if method == "conversations.replies":
            return web.json_response(self._replies(params))
        if method == "chat.postEphemeral":
            return web.json_response({"ok": True, "message_ts": f"{int(time.time())}.999999"})
        if method == "users.info":
            user_id = str(params.get("user", ""))
            fields = {"is_admin": False, "is_owner": False, "is_primary_owner": False, **self.users.get(user_id, {})}
            return web.json_response({"ok": True, "user": {"id": user_id, "team_id": TEAM_ID, **fields}})
        if method == "usergroups.users.list":
            group = str(params.get("usergroup", ""))
            if group not in self.usergroups:
                return web.json_response({"ok": False, "error": "no_such_subteam"})
            return web.json_response({"ok": True, "users": self.usergroups[group]})
        if method == "views.publish":
            view = params.get("view")
            if isinstance(view, str):
                view = json.loads(view)
            if not isinstance(view, dict) or view.get("type") != "home":
                return web.json_response({"ok": False, "error": "invalid_arguments"})
            self.home_views[str(params.get("user_id", ""))] = view
            return web.json_response({"ok": True, "view": {"id": "V0001", **view}})
        if method == "chat.getPermalink":
            channel, ts = str(params.get("channel")), str(params.get("message_ts"))
            return web.json_response(
                {"ok": True, "channel": channel, "permalink": f"{PERMALINK_BASE}{channel}/p{ts.replace('.', '')}"}
            )
        if method == "files.getUploadURLExternal":
            self._files += 1
            file_id = f"F{self._files:04d}"
            self.pending_files[file_id] = {"filename": params.get("filename"), "length": int(params["length"])}
            upload_url = f"http://127.0.0.1:{self.port}/upload/{file_id}"
            return web.json_response({"ok": True, "file_id": file_id, "upload_url": upload_url})
        if method == "files.completeUploadExternal":
            return web.json_response(self._complete_upload(params))
        return web.json_response({"ok": True})

    def _oauth_access(self, params: dict[str, Any], request: web.Request) -> dict[str, Any]:
        """oauth.v2.access as Slack answers it: the app authenticates with its client id and secret (form fields
        or HTTP Basic), and a workspace's one-time code becomes that workspace's bot token."""
        import base64

        client_id, client_secret = params.get("client_id"), params.get("client_secret")
        basic = request.headers.get("Authorization", "")
        if basic.startswith("Basic "):
            client_id, _, client_secret = base64.b64decode(basic[6:]).decode().partition(":")
        if (client_id, client_secret) != (CLIENT_ID, CLIENT_SECRET):
            return {"ok": False, "error": "invalid_client_id"}
        code = params.get("code")
        for workspace in self.workspaces.values():
            if workspace.code and workspace.code == code:
                return {
                    "ok": True,
                    "app_id": "A0001",
                    "authed_user": {"id": "UINSTALLER"},
                    "scope": "chat:write,commands",
                    "token_type": "bot",
                    "access_token": workspace.bot_token,
                    "bot_user_id": workspace.bot_user_id,
                    "team": {"id": workspace.team_id, "name": workspace.name},
                    "enterprise": None,
                    "is_enterprise_install": False,
                }
        return {"ok": False, "error": "invalid_code"}

    async def _upload(self, request: web.Request) -> web.Response:
        """Step 2 of Slack's external upload: the bytes go to the URL step 1 handed out (any body format)."""
        file_id = request.match_info["file_id"]
        if file_id not in self.pending_files:
            return web.Response(status=404, text="unknown upload")
        body = await request.read()  # slack_sdk posts the file's bytes as the raw body
        self.pending_files[file_id]["data"] = body
        self._record("upload", {"file_id": file_id, "bytes": len(body)}, request)
        return web.Response(text=f"OK - {len(body)}")

    def _complete_upload(self, params: dict[str, Any]) -> dict[str, Any]:
        """Step 3: share the uploaded files in the channel, with the comment as the message text."""
        files = params.get("files")
        listed = json.loads(files) if isinstance(files, str) else files
        shared = []
        for item in listed or ():
            pending = self.pending_files.get(str(item.get("id")))
            if pending is None or "data" not in pending or len(pending["data"]) != pending["length"]:
                return {"ok": False, "error": "invalid_file_upload"}
            shared.append({"id": item["id"], "title": item.get("title"), "name": pending["filename"],
                           "data": pending["data"]})
        if not shared:
            return {"ok": False, "error": "no_files"}
        channel = params.get("channel_id")
        if channel:
            self.store_message({"channel": channel, "text": params.get("initial_comment") or ""})["files"] = shared
        self.shared_files.extend({**f, "channel": channel, "comment": params.get("initial_comment")} for f in shared)
        return {"ok": True, "files": [{"id": f["id"], "title": f["title"]} for f in shared]}

    def store_message(self, params: dict[str, Any], *, ts: str | None = None) -> dict[str, Any]:
        """Keep a posted message as Slack does: its ts, text, blocks, thread and metadata (event_type and
        event_payload, given as a JSON object or string)."""
        if ts is None:
            self._ts += 1
            ts = f"{int(time.time())}.{self._ts:06d}"
        message: dict[str, Any] = {"type": "message", "ts": ts, "user": BOT_USER_ID, "bot_id": BOT_ID}
        for key in ("text", "blocks", "thread_ts"):
            if params.get(key) is not None:
                message[key] = params[key]
        metadata = params.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        if isinstance(metadata, dict):
            message["metadata"] = {
                "event_type": metadata.get("event_type"),
                "event_payload": metadata.get("event_payload", {}),
            }
        self.channel_messages.setdefault(str(params.get("channel")), []).append(message)
        return message

    @staticmethod
    def _flag(params: dict[str, Any], name: str) -> bool:
        return str(params.get(name, "")).lower() in ("1", "true")

    def _visible(self, message: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        # Slack leaves metadata out of history unless include_all_metadata is asked for.
        if self._flag(params, "include_all_metadata"):
            return message
        return {k: v for k, v in message.items() if k != "metadata"}

    def _window(self, messages: list[dict[str, Any]], params: dict[str, Any]) -> list[dict[str, Any]]:
        oldest = float(params.get("oldest") or 0)
        inclusive = self._flag(params, "inclusive")
        return [m for m in messages if float(m["ts"]) > oldest or (inclusive and float(m["ts"]) == oldest)]

    def _history(self, params: dict[str, Any]) -> dict[str, Any]:
        """conversations.history: the channel's top-level messages and thread parents, newest first."""
        messages = self.channel_messages.get(str(params.get("channel")), [])
        top = [m for m in messages if m.get("thread_ts") in (None, m["ts"])]
        page = list(reversed(self._window(top, params)))[: int(params.get("limit") or 100)]
        return {"ok": True, "messages": [self._visible(m, params) for m in page], "has_more": False}

    def _replies(self, params: dict[str, Any]) -> dict[str, Any]:
        """conversations.replies: the thread's parent then its replies, oldest first."""
        thread = str(params.get("ts"))
        messages = self.channel_messages.get(str(params.get("channel")), [])
        in_thread = [m for m in messages if m["ts"] == thread or m.get("thread_ts") == thread]
        if not in_thread:
            return {"ok": False, "error": "thread_not_found"}
        page = self._window(in_thread, params)[: int(params.get("limit") or 100)]
        return {"ok": True, "messages": [self._visible(m, params) for m in page], "has_more": False}

    def posts_carrying(self, key: str) -> list[dict[str, Any]]:
        """Every stored message whose metadata carries our delivery key."""
        return [
            m
            for messages in self.channel_messages.values()
            for m in messages
            if (m.get("metadata") or {}).get("event_payload", {}).get("delivery_key") == key
        ]

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._socket = ws
        await ws.send_json({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0001"}})
        self._changed.set()
        async for message in ws:
            if message.type == web.WSMsgType.TEXT:
                self.socket_received.append(json.loads(message.data))
                self._changed.set()
        return ws

    async def socket_send(self, envelope: dict[str, Any], timeout: float = 15.0) -> dict[str, Any]:
        """Push a Socket Mode envelope to the connected app and return its acknowledgement."""
        await self._until(lambda: self._socket is not None, timeout, "a Socket Mode connection")
        assert self._socket is not None
        await self._socket.send_json(envelope)
        envelope_id = envelope["envelope_id"]

        def acked() -> bool:
            return any(m.get("envelope_id") == envelope_id for m in self.socket_received)

        await self._until(acked, timeout, f"the ack of {envelope_id}")
        return next(m for m in self.socket_received if m.get("envelope_id") == envelope_id)

    async def _until(self, condition: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while not condition():
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise AssertionError(f"no {what} within {timeout}s; saw {[c.method for c in self.calls]}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.2))

    async def _response(self, request: web.Request) -> web.Response:
        params = await self._params(request)
        params["_name"] = request.match_info["name"]
        self._record("response_url", params, request)
        return web.Response(text="ok")

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 15.0) -> list[Call]:
        """The first `count` calls to `method`, waiting for them to arrive."""
        await self._until(lambda: len(self.calls_to(method)) >= count, timeout, f"{count} {method} call(s)")
        return self.calls_to(method)[:count]


@dataclass
class PageServer:
    """Article pages on a loopback port, for the safe fetcher to read."""

    pages: dict[str, bytes] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)  # path -> media type, for what is not an HTML page
    hits: list[str] = field(default_factory=list)
    port: int = 0
    _runner: web.AppRunner | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def start(self) -> PageServer:
        app = web.Application()
        app.router.add_get("/{path:.*}", self._get)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _get(self, request: web.Request) -> web.Response:
        self.hits.append(request.path)
        body = self.pages.get(request.path)
        if body is None:
            return web.Response(status=404, text="not found")
        return web.Response(body=body, content_type=self.types.get(request.path, "text/html"), charset="utf-8")


def article_html(title: str, paragraphs: list[str]) -> bytes:
    """A news page around the given paragraphs, shaped like the ones the extractor meets."""
    template = (FIXTURES / "article.html").read_text(encoding="utf-8")
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return template.replace("{{title}}", title).replace("{{body}}", body).encode("utf-8")


# -- signed requests ------------------------------------------------------------------------------------------------


def signed_headers(
    body: str, content_type: str, *, secret: str = SIGNING_SECRET, retry_num: int | None = None
) -> dict[str, str | Sequence[str]]:
    """Headers Slack would send with `body`: timestamp and v0 HMAC signature."""
    timestamp = str(int(time.time()))
    signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    assert signature is not None
    headers: dict[str, str | Sequence[str]] = {
        "content-type": content_type,
        "x-slack-request-timestamp": timestamp,
        "x-slack-signature": signature,
    }
    if retry_num is not None:
        headers["x-slack-retry-num"] = str(retry_num)
        headers["x-slack-retry-reason"] = "http_timeout"
    return headers


def message_event(
    text: str,
    *,
    event_id: str = "Ev0001",
    channel: str = "C0001",
    ts: str = "1712345678.000100",
    user: str = "U0001",
    team: str = TEAM_ID,
    **extra: Any,
) -> str:
    """An Events API `message` envelope as Slack posts it (JSON)."""
    event: dict[str, Any] = {
        "type": "message",
        "channel": channel,
        "user": user,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "channel_type": "channel",
        **extra,
    }
    return json.dumps(
        {
            "token": "legacy",
            "team_id": team,
            "api_app_id": "A0001",
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [{"team_id": team, "user_id": BOT_USER_ID, "is_bot": True}],
        }
    )


def slash_command(
    text: str, response_url: str, *, channel: str = "C0001", user: str = "U0001", team: str = TEAM_ID
) -> str:
    """A `/narrative` invocation as Slack posts it (form-encoded)."""
    return urlencode(
        {
            "token": "legacy",
            "team_id": team,
            "team_domain": "test",
            "channel_id": channel,
            "channel_name": "newsroom",
            "user_id": user,
            "user_name": "editor",
            "command": "/narrative",
            "text": text,
            "api_app_id": "A0001",
            "response_url": response_url,
            "trigger_id": "1.2.3",
        }
    )


def button_click(
    action_id: str,
    value: str,
    response_url: str,
    *,
    channel: str = "C0001",
    user: str = "U0002",
    thread_ts: str = "",
    team: str = TEAM_ID,
) -> str:
    """A block_actions payload for a click on one of the card's buttons (form-encoded `payload=`)."""
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": "editor", "team_id": team},
        "api_app_id": "A0001",
        "token": "legacy",
        "team": {"id": team, "domain": "test"},
        "channel": {"id": channel, "name": "newsroom"},
        "container": {
            "type": "message",
            "message_ts": "1712345679.000200",
            "channel_id": channel,
            "is_ephemeral": False,
            "thread_ts": thread_ts,
        },
        "message": {"type": "message", "ts": "1712345679.000200", "thread_ts": thread_ts, "bot_id": BOT_ID},
        "response_url": response_url,
        "trigger_id": "1.2.4",
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "feedback-0-x",
                "value": value,
                "action_ts": str(time.time()),
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)})


def message_shortcut(
    text: str,
    response_url: str,
    *,
    callback_id: str = "check_for_narratives",
    channel: str = "C0001",
    user: str = "U0002",
    ts: str = "1712345678.000900",
    thread_ts: str | None = None,
) -> str:
    """A message_action payload: someone chose a message shortcut on a message (form-encoded `payload=`)."""
    message: dict[str, Any] = {"type": "message", "user": "U0001", "ts": ts, "text": text}
    if thread_ts is not None:
        message["thread_ts"] = thread_ts
    payload = {
        "type": "message_action",
        "token": "legacy",
        "action_ts": str(time.time()),
        "team": {"id": TEAM_ID, "domain": "test"},
        "user": {"id": user, "username": "editor", "team_id": TEAM_ID},
        "channel": {"id": channel, "name": "newsroom"},
        "callback_id": callback_id,
        "trigger_id": "1.2.5",
        "message_ts": ts,
        "message": message,
        "response_url": response_url,
    }
    return urlencode({"payload": json.dumps(payload)})


def home_opened_event(user: str = "U0002", *, tab: str = "home", event_id: str = "EvHome1") -> str:
    """An Events API `app_home_opened` envelope (JSON)."""
    return json.dumps(
        {
            "token": "legacy",
            "team_id": TEAM_ID,
            "api_app_id": "A0001",
            "event": {"type": "app_home_opened", "user": user, "channel": "D0001", "tab": tab,
                      "event_ts": str(time.time())},
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
        }
    )
