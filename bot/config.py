"""Settings from environment variables (and an optional .env file), validated once at start."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from matchers import Thresholds

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class ConfigError(Exception):
    """One or more settings are invalid; the message lists every problem, never a secret's value."""


class Secret:
    """A credential that never shows itself in reprs, logs or tracebacks."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def bundled_library_path() -> Path:
    """The narratives.yaml shipped with the project (inside the wheel, or at the repository root)."""
    packaged = Path(__file__).resolve().parent.parent / "matchers" / "data" / "narratives.yaml"
    if packaged.is_file():
        return packaged
    return Path(__file__).resolve().parent.parent / "narratives.yaml"


def default_db_path() -> Path:
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "narrative-bot" / "state.sqlite3"


@dataclass(frozen=True)
class Settings:
    library_path: Path = field(default_factory=bundled_library_path)
    db_path: Path = field(default_factory=default_db_path)  # the SQLite file (unless postgres_dsn is set)
    postgres_dsn: Secret = field(default_factory=lambda: Secret(""))  # postgresql://…: the state lives there
    alert_threshold: float | None = None
    suggest_threshold: float | None = None
    max_links: int = 3
    link_errors: str = "reply"  # "reply" in the thread, or "log" only
    no_match_reaction: str = ""  # e.g. "white_check_mark" on Slack; empty: stay silent
    allow_nets: tuple[IPNetwork, ...] = ()
    allowed_ports: tuple[int, ...] = (80, 443)
    fetch_timeout_s: float = 20.0
    max_page_bytes: int = 5 * 1024 * 1024
    trust_env_proxy: bool = False
    feed_interval_s: float = 600.0
    # How long a replica holds a feed (and the delivery of a platform) before another may take it over: a poll is
    # cut off at 80% of it, and a replica that dies leaves its feeds for that long.
    feed_lease_s: float = 300.0
    feed_read_articles: bool = True
    feeds_file: Path | None = None
    log_level: str = "INFO"
    max_library_bytes: int = 64 * 1024 * 1024
    semantic: bool = True
    embedder: str = "e5"  # e5 (bundled), sentence-transformers:/path/to/model, or an http(s):// embeddings URL
    embedder_model: str = ""
    embedder_api_key: Secret = field(default_factory=lambda: Secret(""))
    embedder_prefix: str = ""
    embedder_threads: int = 1
    semantic_budget_s: float = 2.0
    model_dir: Path | None = None  # default: models/ beside the state database
    slack_bot_token: Secret = field(default_factory=lambda: Secret(""))
    slack_app_token: Secret = field(default_factory=lambda: Secret(""))
    slack_signing_secret: Secret = field(default_factory=lambda: Secret(""))
    slack_api_url: str | None = None
    # Slack OAuth (one app installed in several workspaces): with both set the bot serves every workspace that
    # installs it, in HTTP mode, each with its own bot token kept in the database.
    slack_client_id: str = ""
    slack_client_secret: Secret = field(default_factory=lambda: Secret(""))
    slack_install_url: str | None = None  # where Slack sends the installer back (default: Bolt's /slack/oauth_redirect)
    discord_shards: int | Literal["auto"] | None = None  # the sharded client: "auto" (Discord's count) or a count
    port: int = 3000
    discord_token: Secret = field(default_factory=lambda: Secret(""))
    discord_api_base: str | None = None
    discord_gateway_url: str | None = None
    discord_guild_id: int | None = None
    # Defaults of the per-channel settings (bot/channel_settings.py); a channel's own setting overrides them.
    link_replies: bool = True
    feed_threads: bool = False
    reply_language: str = "auto"  # en, uk, ru, or auto: the language of the text answered
    digest: bool = False
    # A Slack user group id (S0123…) whose members may change settings and feeds, or one per workspace
    # (T0ALPHA:S0123,T0BETA:S0456); see admin_group_for().
    slack_admin_group: str = ""
    log_file: Path | None = None  # log records go there instead of standard error

    @property
    def database(self) -> Path | Secret:
        """Where the state lives: the PostgreSQL DSN when one is set, else the SQLite file."""
        return self.postgres_dsn if self.postgres_dsn else self.db_path

    @property
    def artefact_dir(self) -> Path:
        return self.model_dir if self.model_dir is not None else self.db_path.parent / "models"

    @property
    def slack_oauth(self) -> bool:
        """True when the bot is a Slack app installed through OAuth in several workspaces."""
        return bool(self.slack_client_id and self.slack_client_secret)

    def platform(self) -> str:
        """The platform the credentials point at: slack, discord, or console when there are none."""
        if self.slack_bot_token or self.slack_oauth:
            return "slack"
        if self.discord_token:
            return "discord"
        return "console"


def _shards(raw: str) -> int | Literal["auto"]:
    """NARRATIVE_BOT_DISCORD_SHARDS: `auto` (as many shards as Discord recommends) or a shard count."""
    if raw.strip().lower() == "auto":
        return "auto"
    try:
        count = int(raw)
    except ValueError:
        raise ValueError(f"expected `auto` or a number of shards, not {raw!r}") from None
    if count < 1:
        raise ValueError(f"the number of shards must be at least 1, not {count}")
    return count


def _bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected true or false, got {raw!r}")


def _threshold(raw: str) -> float:
    value = float(raw)
    if not 0 <= value <= 100:
        raise ValueError(f"expected a number from 0 to 100, got {raw!r}")
    return value


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError(f"expected a positive whole number, got {raw!r}")
    return value


def _positive_float(raw: str) -> float:
    value = float(raw)
    if value <= 0:
        raise ValueError(f"expected a positive number, got {raw!r}")
    return value


def _nets(raw: str) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in raw.split(",") if part.strip())


def _ports(raw: str) -> tuple[int, ...]:
    ports = tuple(int(part) for part in raw.split(",") if part.strip())
    if not ports or any(not 0 < p < 65536 for p in ports):
        raise ValueError(f"expected comma-separated port numbers, got {raw!r}")
    return ports


def _embedder(raw: str) -> str:
    if raw == "e5" or raw.startswith(("http://", "https://")):
        return raw
    if raw.startswith("sentence-transformers:") and raw.split(":", 1)[1]:
        return raw
    raise ValueError(f"expected e5, sentence-transformers:/path/to/model or an http(s):// URL, got {raw!r}")


_URL_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):(//)?")
_POSTGRES_SCHEMES = ("postgresql", "postgres")


def parse_database(raw: str) -> dict[str, object]:
    """NARRATIVE_BOT_DB: a file path or sqlite:///path (SQLite), or postgresql://… (PostgreSQL).

    `sqlite:///state.db` is relative to the working directory, `sqlite:////var/lib/bot/state.db` absolute (the
    SQLAlchemy spelling). Any other scheme is refused rather than taken for a folder name. The value may hold a
    password, so no message repeats it.
    """
    match = _URL_SCHEME.match(raw)
    # One letter before a colon is a Windows drive (C:\state.db), not a scheme.
    if match is None or (match.group(2) is None and match.group(1).lower() not in ("sqlite", *_POSTGRES_SCHEMES)):
        return {"db_path": Path(raw).expanduser()}
    scheme = match.group(1).lower()
    if match.group(2) is None:
        raise ValueError(f"a {scheme} URL starts with {scheme}://")
    if scheme in _POSTGRES_SCHEMES:
        if not raw[match.end():].strip("/"):
            raise ValueError(f"a {scheme}:// URL needs a host or a database name")
        return {"postgres_dsn": Secret(raw)}
    if scheme == "sqlite":
        rest = raw[match.end():]
        if not rest.startswith("/") or not rest[1:]:
            raise ValueError("expected sqlite:///relative/path or sqlite:////absolute/path (no host)")
        return {"db_path": Path(rest[1:]).expanduser()}
    raise ValueError(
        f"unsupported database URL scheme {scheme!r}: expected a file path, sqlite:///path or postgresql://…"
    )


def _existing_file(raw: str) -> Path:
    path = Path(raw).expanduser()
    if not path.is_file():
        raise ValueError(f"no such file: {raw}")
    return path


def _existing_library(raw: str) -> Path:
    """A library file (with or without its folder of part-files beside it) or a folder of part-files."""
    path = Path(raw).expanduser()
    if not path.is_file() and not path.is_dir():
        raise ValueError(f"no such file or folder: {raw}")
    return path


def _choice(*allowed: str):  # type: ignore[no-untyped-def]
    def parse(raw: str) -> str:
        value = raw.strip().lower()
        if value not in allowed:
            raise ValueError(f"expected one of {', '.join(allowed)}, got {raw!r}")
        return value

    return parse


_GROUP = r"S[A-Z0-9]{2,}"
_TEAM_GROUP = re.compile(rf"(?:(?P<team>[TE][A-Z0-9]{{2,}}):)?(?P<group>{_GROUP})")


def parse_admin_groups(raw: str) -> dict[str, str]:
    """NARRATIVE_BOT_SLACK_ADMIN_GROUP as {team id: group id}; "" keys the group of every other workspace.
    Raises ValueError naming what is wrong."""
    groups: dict[str, str] = {}
    for entry in filter(None, (part.strip() for part in raw.split(","))):
        found = _TEAM_GROUP.fullmatch(entry)
        if found is None:
            raise ValueError(
                f"expected a Slack user group id such as S0123ABCD (not its @handle), or one per workspace as "
                f"T0ALPHA:S0123ABCD,T0BETA:S0456EFGH; got {entry!r}"
            )
        team = found["team"] or ""
        if team in groups:
            raise ValueError(f"{'workspace ' + team if team else 'a group for every workspace'} is named twice")
        groups[team] = found["group"]
    return groups


def admin_group_for(raw: str, team: str) -> str:
    """The user group whose members may change settings in workspace `team` ("" when none is configured).
    `team` "" is the one workspace of an app run with a single bot token: the bare group, or the only one named."""
    groups = parse_admin_groups(raw)
    if not team and "" not in groups and len(groups) == 1:
        return next(iter(groups.values()))
    return groups.get(team) or groups.get("", "")


def _slack_group(raw: str) -> str:
    parse_admin_groups(raw)  # raises with what is wrong
    return raw.strip()


# (environment variable, Settings field, parser, is_secret); a parser for the field "" returns several fields
# by name (NARRATIVE_BOT_DB sets either the SQLite path or the PostgreSQL DSN).
_FIELDS: list[tuple[str, str, object, bool]] = [
    ("NARRATIVE_BOT_LIBRARY", "library_path", _existing_library, False),
    ("NARRATIVE_BOT_DB", "", parse_database, False),
    ("NARRATIVE_BOT_ALERT_THRESHOLD", "alert_threshold", _threshold, False),
    ("NARRATIVE_BOT_SUGGEST_THRESHOLD", "suggest_threshold", _threshold, False),
    ("NARRATIVE_BOT_MAX_LINKS", "max_links", _positive_int, False),
    ("NARRATIVE_BOT_LINK_ERRORS", "link_errors", _choice("reply", "log"), False),
    ("NARRATIVE_BOT_NO_MATCH_REACTION", "no_match_reaction", lambda raw: raw.strip().strip(":"), False),
    ("NARRATIVE_BOT_ALLOW_NETS", "allow_nets", _nets, False),
    ("NARRATIVE_BOT_ALLOWED_PORTS", "allowed_ports", _ports, False),
    ("NARRATIVE_BOT_FETCH_TIMEOUT", "fetch_timeout_s", _positive_float, False),
    ("NARRATIVE_BOT_MAX_PAGE_BYTES", "max_page_bytes", _positive_int, False),
    ("NARRATIVE_BOT_TRUST_ENV_PROXY", "trust_env_proxy", _bool, False),
    ("NARRATIVE_BOT_FEED_INTERVAL", "feed_interval_s", _positive_float, False),
    ("NARRATIVE_BOT_FEED_LEASE", "feed_lease_s", _positive_float, False),
    ("NARRATIVE_BOT_FEED_READ_ARTICLES", "feed_read_articles", _bool, False),
    ("NARRATIVE_BOT_FEEDS_FILE", "feeds_file", _existing_file, False),
    ("NARRATIVE_BOT_MAX_LIBRARY_BYTES", "max_library_bytes", _positive_int, False),
    ("NARRATIVE_BOT_SEMANTIC", "semantic", _bool, False),
    ("NARRATIVE_BOT_EMBEDDER", "embedder", _embedder, False),
    ("NARRATIVE_BOT_EMBEDDER_MODEL", "embedder_model", str, False),
    ("NARRATIVE_BOT_EMBEDDER_API_KEY", "embedder_api_key", Secret, True),
    ("NARRATIVE_BOT_EMBEDDER_PREFIX", "embedder_prefix", str, False),
    ("NARRATIVE_BOT_EMBEDDER_THREADS", "embedder_threads", _positive_int, False),
    ("NARRATIVE_BOT_SEMANTIC_BUDGET", "semantic_budget_s", _positive_float, False),
    ("NARRATIVE_BOT_MODEL_DIR", "model_dir", lambda raw: Path(raw).expanduser(), False),
    ("LOG_LEVEL", "log_level", lambda raw: _choice("debug", "info", "warning", "error")(raw).upper(), False),
    ("SLACK_BOT_TOKEN", "slack_bot_token", Secret, True),
    ("SLACK_APP_TOKEN", "slack_app_token", Secret, True),
    ("SLACK_SIGNING_SECRET", "slack_signing_secret", Secret, True),
    ("SLACK_API_URL", "slack_api_url", str, False),
    ("NARRATIVE_BOT_SLACK_CLIENT_ID", "slack_client_id", str, False),
    ("NARRATIVE_BOT_SLACK_CLIENT_SECRET", "slack_client_secret", Secret, True),
    ("NARRATIVE_BOT_SLACK_SIGNING_SECRET", "slack_signing_secret", Secret, True),
    ("NARRATIVE_BOT_SLACK_REDIRECT_URI", "slack_install_url", str, False),
    ("NARRATIVE_BOT_DISCORD_SHARDS", "discord_shards", _shards, False),
    ("PORT", "port", _positive_int, False),
    ("DISCORD_TOKEN", "discord_token", Secret, True),
    ("DISCORD_API_BASE", "discord_api_base", str, False),
    ("DISCORD_GATEWAY_URL", "discord_gateway_url", str, False),
    ("DISCORD_GUILD_ID", "discord_guild_id", _positive_int, False),
    ("NARRATIVE_BOT_LINK_REPLIES", "link_replies", _bool, False),
    ("NARRATIVE_BOT_FEED_THREADS", "feed_threads", _bool, False),
    ("NARRATIVE_BOT_REPLY_LANGUAGE", "reply_language", _choice("en", "uk", "ru", "auto"), False),
    ("NARRATIVE_BOT_DIGEST", "digest", _bool, False),
    ("NARRATIVE_BOT_SLACK_ADMIN_GROUP", "slack_admin_group", _slack_group, False),
    ("NARRATIVE_BOT_LOG_FILE", "log_file", lambda raw: Path(raw).expanduser(), False),
]


def load_settings(env: Mapping[str, str] | None = None, *, dotenv: Path | None = None) -> Settings:
    """Read settings from `env` (default: os.environ, after loading `dotenv` if it exists).

    Every invalid variable is reported at once; a secret's value never appears in the error.
    """
    if env is None:
        if dotenv is not None and dotenv.is_file():
            from dotenv import load_dotenv

            load_dotenv(dotenv, override=False)
        env = os.environ
    values: dict[str, object] = {}
    problems: list[str] = []
    for name, attr, parse, secret in _FIELDS:
        raw = env.get(name)
        if raw is None or (raw.strip() == "" and not secret):
            continue
        try:
            value = parse(raw.strip())  # type: ignore[operator]
        except ValueError as exc:
            problems.append(f"{name}: {'invalid value' if secret else exc}")
            continue
        if attr:
            values[attr] = value
        else:
            values.update(value)
    settings = Settings(**values)  # type: ignore[arg-type]
    problems.extend(_cross_checks(settings))
    if problems:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems))
    return settings


def _cross_checks(settings: Settings) -> list[str]:
    problems = []
    # Compare the thresholds in effect, defaults included: setting only the alert threshold below the default
    # suggest threshold would otherwise make `check` call an alert-level match merely "possible".
    defaults = Thresholds()
    alert = settings.alert_threshold if settings.alert_threshold is not None else defaults.alert
    suggest = settings.suggest_threshold if settings.suggest_threshold is not None else defaults.suggest
    if alert < suggest:
        problems.append(
            f"NARRATIVE_BOT_ALERT_THRESHOLD ({alert:g}{'' if settings.alert_threshold is not None else ', default'}) "
            f"must not be below NARRATIVE_BOT_SUGGEST_THRESHOLD "
            f"({suggest:g}{'' if settings.suggest_threshold is not None else ', default'})"
        )
    if settings.embedder.startswith(("http://", "https://")) and not settings.embedder_model:
        problems.append("NARRATIVE_BOT_EMBEDDER_MODEL is required with an embeddings URL (the model name it serves)")
    token = settings.slack_bot_token.get()
    if token and not token.startswith("xoxb-"):
        problems.append("SLACK_BOT_TOKEN: expected a bot token starting with xoxb-")
    app_token = settings.slack_app_token.get()
    if app_token and not app_token.startswith("xapp-"):
        problems.append("SLACK_APP_TOKEN: expected an app-level token starting with xapp-")
    if bool(settings.slack_client_id) != bool(settings.slack_client_secret):
        problems.append(
            "NARRATIVE_BOT_SLACK_CLIENT_ID and NARRATIVE_BOT_SLACK_CLIENT_SECRET go together (Slack OAuth)"
        )
    if settings.slack_oauth and not settings.slack_signing_secret:
        problems.append("NARRATIVE_BOT_SLACK_SIGNING_SECRET is required with Slack OAuth (HTTP mode)")
    if token and not app_token and not settings.slack_signing_secret:
        problems.append(
            "SLACK_SIGNING_SECRET is required for Slack's HTTP mode (or set SLACK_APP_TOKEN for Socket Mode)"
        )
    return problems


# The poller polls a feed no more often than the floor (politeness to feed hosts) and no less often than the
# ceiling, whatever the setting; kept equal to bot.feed_parse.MIN_INTERVAL_S / MAX_INTERVAL_S, which a test checks,
# so that importing settings stays light.
MIN_FEED_INTERVAL_S = 120.0
MAX_FEED_INTERVAL_S = 6 * 3600.0


def settings_warnings(settings: Settings) -> list[str]:
    """Accepted settings that will not do what they say: logged at start so that nobody is surprised."""
    warnings = []
    if settings.feed_interval_s < MIN_FEED_INTERVAL_S:
        warnings.append(
            f"NARRATIVE_BOT_FEED_INTERVAL is {settings.feed_interval_s:g} s; feeds are polled at most every "
            f"{MIN_FEED_INTERVAL_S:g} s, so {MIN_FEED_INTERVAL_S:g} s is used"
        )
    elif settings.feed_interval_s > MAX_FEED_INTERVAL_S:
        warnings.append(
            f"NARRATIVE_BOT_FEED_INTERVAL is {settings.feed_interval_s:g} s; feeds are polled at least every "
            f"{MAX_FEED_INTERVAL_S:g} s (6 h), so {MAX_FEED_INTERVAL_S:g} s is used"
        )
    return warnings
