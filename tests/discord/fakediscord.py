"""A loopback fake of Discord's REST API and gateway (aiohttp), recording what the bot sends."""

from __future__ import annotations

import asyncio
import email.policy
import itertools
import json
from dataclasses import dataclass, field
from email.parser import BytesParser
from typing import Any

from aiohttp import WSMsgType, web

APP_ID = "700000000000000001"
BOT_ID = "700000000000000002"
GUILD_ID = "700000000000000010"
CHANNEL_ID = "700000000000000020"
USER_ID = "700000000000000030"

BOT_USER: dict[str, Any] = {
    "id": BOT_ID,
    "username": "narrative-bot",
    "discriminator": "0",
    "global_name": None,
    "avatar": None,
    "bot": True,
}
HUMAN: dict[str, Any] = {
    "id": USER_ID,
    "username": "reporter",
    "discriminator": "0",
    "global_name": "Reporter",
    "avatar": None,
}

MEMBER: dict[str, Any] = {
    "roles": [],
    "joined_at": "2024-01-01T00:00:00+00:00",
    "deaf": False,
    "mute": False,
    "flags": 0,
}


def guild_payload() -> dict[str, Any]:
    return {
        "id": GUILD_ID,
        "name": "Newsroom",
        "icon": None,
        "owner_id": USER_ID,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "features": [],
        "mfa_level": 0,
        "premium_tier": 0,
        "nsfw_level": 0,
        "preferred_locale": "en-US",
        "system_channel_flags": 0,
        "unavailable": False,
        "member_count": 2,
        "large": False,
        "roles": [
            {
                "id": GUILD_ID,
                "name": "@everyone",
                "permissions": "68608",
                "position": 0,
                "color": 0,
                "hoist": False,
                "managed": False,
                "mentionable": False,
            }
        ],
        "emojis": [],
        "stickers": [],
        "members": [MEMBER | {"user": BOT_USER}],
        "channels": [
            {
                "id": CHANNEL_ID,
                "type": 0,
                "name": "fact-check",
                "position": 0,
                "guild_id": GUILD_ID,
                "permission_overwrites": [],
                "nsfw": False,
                "parent_id": None,
                "topic": None,
                "last_message_id": None,
            }
        ],
        "threads": [],
        "voice_states": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
    }


def message_payload(
    message_id: str, content: str, *, author: dict[str, Any] | None = None, channel_id: str = CHANNEL_ID
) -> dict[str, Any]:
    return {
        "id": message_id,
        "channel_id": channel_id,
        "guild_id": GUILD_ID,
        "author": author or HUMAN,
        "member": MEMBER,
        "content": content,
        "timestamp": "2025-01-01T00:00:00+00:00",
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "pinned": False,
        "type": 0,
        "flags": 0,
        "components": [],
    }


def _json(data: Any, status: int = 200) -> web.Response:
    # discord.py parses a body as JSON only when Content-Type is exactly application/json (no charset).
    return web.Response(body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json"})


def _multipart(content_type: str, raw: bytes) -> dict[str, Any]:
    """A message with attachments, as Discord receives it: the `payload_json` part is the message, each
    `files[n]` part a file; the files are returned under `_files` as (filename, content type, bytes)."""
    parsed = BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + raw
    )
    body: dict[str, Any] = {}
    files: list[tuple[str, str, bytes]] = []
    for part in parsed.iter_parts():
        name = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True)
        assert isinstance(data, bytes)
        if name == "payload_json":
            body = json.loads(data)
        else:
            files.append((str(part.get_filename()), part.get_content_type(), data))
    body["_files"] = files
    return body


@dataclass
class Recorded:
    method: str
    path: str
    json: Any


@dataclass
class FakeDiscord:
    """REST and gateway on one loopback port; `requests` records every REST call with its JSON body."""

    requests: list[Recorded] = field(default_factory=list)
    port: int = 0
    identified: asyncio.Event = field(default_factory=asyncio.Event)
    # Dispatches sent after READY and GUILD_CREATE: (event name, data).
    script: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    outbox: asyncio.Queue[tuple[str, dict[str, Any]]] = field(default_factory=asyncio.Queue)
    # Channels where posting fails with 403 Missing Permissions, as when the bot lacks Send Messages.
    forbidden_channels: set[str] = field(default_factory=set)
    # Messages created, and those a nonce created (author, nonce) -> message: with `enforce_nonce`, Discord answers
    # a nonce the same author used in the past few minutes with the message created then, and creates nothing.
    created: list[dict[str, Any]] = field(default_factory=list)
    nonces: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    # How many of the next message creations lose their answer: created, then the connection drops unanswered.
    drop_answers: int = 0
    # Threads started from messages, by id (a message's thread has the message's id).
    threads: dict[str, dict[str, Any]] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(800000000000000000))
    _runner: web.AppRunner | None = None
    posted: asyncio.Condition = field(default_factory=asyncio.Condition)

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    def calls(self, method: str, prefix: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path.startswith(prefix)]

    async def wait_for(self, method: str, prefix: str, timeout: float = 10.0) -> Recorded:
        async def first() -> Recorded:
            async with self.posted:
                while not self.calls(method, prefix):
                    await self.posted.wait()
                return self.calls(method, prefix)[0]

        return await asyncio.wait_for(first(), timeout)

    # -- REST ---------------------------------------------------------------------------------------------

    async def _record(self, request: web.Request) -> Any:
        body: Any = None
        if request.can_read_body:
            raw = await request.read()
            if request.content_type == "multipart/form-data":
                body = _multipart(request.headers["Content-Type"], raw)
            else:
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode("utf-8", "replace")
        path = request.path.removeprefix("/api/v10")
        async with self.posted:
            self.requests.append(Recorded(request.method, path, body))
            self.posted.notify_all()
        return body

    async def users_me(self, request: web.Request) -> web.Response:
        await self._record(request)
        return _json(BOT_USER)

    async def application(self, request: web.Request) -> web.Response:
        await self._record(request)
        return _json(
            {
                "id": APP_ID,
                "name": "narrative-bot",
                "description": "",
                "icon": None,
                "bot_public": False,
                "bot_require_code_grant": False,
                "owner": HUMAN,
                "verify_key": "0" * 64,
                "flags": 0,
            }
        )

    async def gateway_bot(self, request: web.Request) -> web.Response:
        await self._record(request)
        return _json(
            {
                "url": self.gateway_url,
                "shards": 1,
                "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1},
            }
        )

    async def sync_commands(self, request: web.Request) -> web.Response:
        body = await self._record(request) or []
        out = [{**c, "id": str(next(self._ids)), "application_id": APP_ID, "version": "1"} for c in body]
        for command in out:
            command.setdefault("type", 1)
            command.setdefault("description", "")
            if "guild_id" in request.match_info:
                command["guild_id"] = request.match_info["guild_id"]
        return _json(out)

    async def create_message(self, request: web.Request) -> web.Response:
        body = await self._record(request) or {}
        channel_id = request.match_info["channel_id"]
        if channel_id in self.forbidden_channels:
            return _json({"message": "Missing Permissions", "code": 50013}, status=403)
        nonce = body.get("nonce")
        enforced = nonce is not None and body.get("enforce_nonce") is True
        if enforced and (BOT_ID, str(nonce)) in self.nonces:
            return _json(self.nonces[(BOT_ID, str(nonce))])
        message = message_payload(
            str(next(self._ids)), body.get("content") or "", author=BOT_USER, channel_id=channel_id
        )
        message["embeds"] = body.get("embeds", [])
        message["attachments"] = [
            {"id": str(next(self._ids)), "filename": name, "content_type": kind, "size": len(data),
             "url": f"https://cdn.example/{name}", "proxy_url": f"https://cdn.example/{name}"}
            for name, kind, data in body.get("_files", [])
        ]
        if nonce is not None:
            message["nonce"] = nonce
        if enforced:
            self.nonces[(BOT_ID, str(nonce))] = message
        self.created.append(message)
        if self.drop_answers > 0:
            self.drop_answers -= 1
            assert request.transport is not None
            request.transport.close()  # the message exists; its answer never reaches the bot
        return _json(message)

    async def create_thread(self, request: web.Request) -> web.Response:
        """A thread started from a message: it takes the message's id; a second one for it is refused."""
        body = await self._record(request) or {}
        message_id = request.match_info["message_id"]
        if message_id in self.threads:
            return _json({"message": "A thread has already been created for this message", "code": 160004}, 400)
        thread = {
            "id": message_id,
            "type": 11,
            "guild_id": GUILD_ID,
            "parent_id": request.match_info["channel_id"],
            "name": body.get("name", ""),
            "owner_id": BOT_ID,
            "message_count": 0,
            "member_count": 1,
            "rate_limit_per_user": 0,
            "flags": 0,
            "last_message_id": None,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": body.get("auto_archive_duration", 1440),
                "archive_timestamp": "2024-01-01T00:00:00+00:00",
                "locked": False,
            },
        }
        self.threads[message_id] = thread
        return _json(thread)

    async def get_channel(self, request: web.Request) -> web.Response:
        await self._record(request)
        thread = self.threads.get(request.match_info["channel_id"])
        return _json(thread) if thread is not None else _json({"message": "Unknown Channel", "code": 10003}, 404)

    async def interaction_callback(self, request: web.Request) -> web.Response:
        body = await self._record(request) or {}
        interaction = {"id": request.match_info["interaction_id"], "type": body.get("type", 4)}
        return _json({"interaction": interaction})

    async def followup(self, request: web.Request) -> web.Response:
        body = await self._record(request) or {}
        message = message_payload(str(next(self._ids)), body.get("content") or "", author=BOT_USER)
        message["embeds"] = body.get("embeds", [])
        message["webhook_id"] = APP_ID
        return _json(message)

    async def other(self, request: web.Request) -> web.Response:
        await self._record(request)
        return _json({"message": "not faked", "code": 0}, status=404)

    # -- gateway --------------------------------------------------------------------------------------------

    async def gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        seq = itertools.count(1)

        async def dispatch(event: str, data: dict[str, Any]) -> None:
            await ws.send_str(json.dumps({"op": 0, "t": event, "s": next(seq), "d": data}))

        async def pump() -> None:
            while True:
                event, data = await self.outbox.get()
                await dispatch(event, data)

        pumper: asyncio.Task[None] | None = None
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None}))
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                payload = json.loads(msg.data)
                if payload["op"] == 1:
                    await ws.send_str(json.dumps({"op": 11, "d": None, "s": None, "t": None}))
                elif payload["op"] == 2:
                    await dispatch(
                        "READY",
                        {
                            "v": 10,
                            "user": BOT_USER,
                            "guilds": [{"id": GUILD_ID, "unavailable": True}],
                            "session_id": "fake-session",
                            "resume_gateway_url": self.gateway_url,
                            "application": {"id": APP_ID, "flags": 0},
                            "shard": [0, 1],
                        },
                    )
                    await dispatch("GUILD_CREATE", guild_payload())
                    self.identified.set()
                    for event, data in self.script:
                        await dispatch(event, data)
                    pumper = asyncio.create_task(pump())
        finally:
            if pumper is not None:
                pumper.cancel()
        return ws

    # -- lifecycle --------------------------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application()
        api = "/api/v10"
        app.router.add_get(f"{api}/users/@me", self.users_me)
        app.router.add_get(f"{api}/oauth2/applications/@me", self.application)
        app.router.add_get(f"{api}/gateway/bot", self.gateway_bot)
        app.router.add_put(f"{api}/applications/{{app_id}}/commands", self.sync_commands)
        app.router.add_put(f"{api}/applications/{{app_id}}/guilds/{{guild_id}}/commands", self.sync_commands)
        app.router.add_post(f"{api}/channels/{{channel_id}}/messages", self.create_message)
        app.router.add_post(f"{api}/channels/{{channel_id}}/messages/{{message_id}}/threads", self.create_thread)
        app.router.add_get(f"{api}/channels/{{channel_id}}", self.get_channel)
        app.router.add_post(f"{api}/interactions/{{interaction_id}}/{{token}}/callback", self.interaction_callback)
        app.router.add_post(f"{api}/webhooks/{{app_id}}/{{token}}", self.followup)
        app.router.add_get("/gateway", self.gateway)
        app.router.add_route("*", "/{tail:.*}", self.other)
        return app

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined,union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
