"""Per-channel settings: what a channel changed from the defaults, the policy they add up to, and the command.

A channel stores only what it changed (one row per setting in `channel_settings`); everything else comes from the
environment (bot/config.py), so changing a default there still reaches every channel that never chose otherwise.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Literal

from bot.config import Settings
from bot.models import Verdict
from bot.render.i18n import LANGUAGE_NAMES_IN, word
from bot.store import Store
from matchers import Lang, Thresholds

Language = Literal["en", "uk", "ru"]
LANGUAGES: tuple[str, ...] = ("en", "uk", "ru", "auto")
SETTING_NAMES: tuple[str, ...] = ("threshold", "muted", "links", "thread", "language", "digest")
# A cut-off above 100 would silence a channel for good (mute it instead); one below the suggest threshold would
# post what `check` itself calls only "possible".
THRESHOLD_MAX = 100
ON_OFF = {"on": True, "off": False, "yes": True, "no": False, "true": True, "false": False}


class SettingError(ValueError):
    """A setting command that cannot be applied; the message says why and what would be accepted."""


@dataclass(frozen=True)
class ChannelPolicy:
    """The settings in effect in one channel, defaults included."""

    threshold: float
    muted: frozenset[str]
    links: bool
    thread: bool
    language: Language | None  # None: answer in the language of the text
    digest: bool
    # True when the channel chose its own cut-off. Without one a finding alerts exactly when the matcher said so
    # (its float score against the process threshold), as it always did; with one, its rounded score decides.
    own_threshold: bool = False

    def alerts(self, score: int, level: str) -> bool:
        return score >= self.threshold if self.own_threshold else level == "alert"

    def apply(self, verdict: Verdict | None) -> Verdict | None:
        """The verdict as this channel sees it: muted narratives and findings under its cut-off left out."""
        if verdict is None:
            return None
        kept = tuple(
            dataclasses.replace(f, level="alert")
            for f in verdict.findings
            if f.narrative_id not in self.muted and self.alerts(f.score, f.level)
        )
        return dataclasses.replace(verdict, findings=kept) if kept else None


@dataclass(frozen=True)
class StoredSetting:
    name: str
    value: str
    updated_at: float
    updated_by: str


def _language(value: str) -> Language | None:
    for lang in ("en", "uk", "ru"):
        if value == lang:
            return lang
    return None  # auto


def _on_off(typed: str, name: str, lang: Lang = "en") -> str:
    value = ON_OFF.get(typed.lower())
    if value is None:
        raise SettingError(word("settings_on_off", lang, name=name, value=typed))
    return "on" if value else "off"


def _ids(ids: Sequence[str]) -> str:
    return ", ".join(f"`{i}`" for i in ids)


# (platform, tenant, channel id): where a setting applies.
_Channel = tuple[str, str, str]


class ChannelSettings:
    """Reads and writes channel settings in the state, and tells each channel's policy."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        known_ids: Callable[[], Collection[str]],
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.settings = settings
        self.known_ids = known_ids
        self.clock = clock

    # -- defaults ---------------------------------------------------------------------------------------------

    @property
    def default_threshold(self) -> float:
        configured = self.settings.alert_threshold
        return configured if configured is not None else Thresholds().alert

    @property
    def min_threshold(self) -> int:
        configured = self.settings.suggest_threshold
        return math.ceil(configured if configured is not None else Thresholds().suggest)

    def usage(self, lang: Lang = "en") -> str:
        """The `settings` usage line in `lang`, with the threshold bounds `settings threshold` accepts."""
        return word("settings_usage", lang, low=self.min_threshold, high=THRESHOLD_MAX)

    def defaults(self) -> ChannelPolicy:
        language = self.settings.reply_language
        return ChannelPolicy(
            threshold=self.default_threshold,
            muted=frozenset(),
            links=self.settings.link_replies,
            thread=self.settings.feed_threads,
            language=_language(language),
            digest=self.settings.digest,
        )

    # -- the state --------------------------------------------------------------------------------------------

    def stored(self, platform: str, channel_id: str, *, tenant: str = "") -> dict[str, StoredSetting]:
        rows = self.store.query(
            """SELECT name, value, updated_at, updated_by FROM channel_settings
               WHERE platform = ? AND tenant = ? AND channel_id = ?""",
            (platform, tenant, channel_id),
        )
        return {row[0]: StoredSetting(row[0], row[1], row[2], row[3]) for row in rows}

    def _write(self, where: _Channel, name: str, value: str, user_id: str) -> None:
        platform, tenant, channel_id = where
        with self.store.transaction() as db:
            db.execute(
                """INSERT INTO channel_settings (platform, tenant, channel_id, name, value, updated_at, updated_by)
                   VALUES (?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (platform, tenant, channel_id, name)
                   DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at,
                                 updated_by = excluded.updated_by""",
                (platform, tenant, channel_id, name, value, self.clock(), user_id),
            )

    def _delete(self, where: _Channel, name: str | None = None) -> int:
        sql = "DELETE FROM channel_settings WHERE platform = ? AND tenant = ? AND channel_id = ?"
        params: tuple[str, ...] = where
        if name is not None:
            sql += " AND name = ?"
            params = (*where, name)
        with self.store.transaction() as db:
            return db.execute(sql, params).rowcount

    def configured_channels(self, platform: str, *, tenant: str | None = None) -> list[str]:
        """Channels of a platform (of one tenant when given) that changed at least one setting, in the order they
        first did."""
        sql = "SELECT channel_id FROM channel_settings WHERE platform = ?"
        params: tuple[str, ...] = (platform,)
        if tenant is not None:
            sql += " AND tenant = ?"
            params = (platform, tenant)
        rows = self.store.query(sql + " GROUP BY channel_id ORDER BY MIN(updated_at)", params)
        return [row[0] for row in rows]

    def digest_channels(self, platform: str | None = None) -> list[tuple[str, str, str]]:
        """(platform, tenant, channel) triples whose digest is on: those that turned it on, plus, when the default
        is on, every channel with settings or feeds that did not turn it off."""
        rows = self.store.query(
            "SELECT platform, tenant, channel_id, value FROM channel_settings WHERE name = 'digest'"
        )
        chosen = {(r[0], r[1], r[2]): r[3] == "on" for r in rows}
        if self.settings.digest:
            for sub in self.store.subscriptions(platform):
                chosen.setdefault((sub.platform, sub.tenant, sub.channel_id), True)
            for row in self.store.query("SELECT DISTINCT platform, tenant, channel_id FROM channel_settings"):
                chosen.setdefault((row[0], row[1], row[2]), True)
        return sorted(k for k, on in chosen.items() if on and (platform is None or k[0] == platform))

    # -- the policy -------------------------------------------------------------------------------------------

    def policy(self, platform: str, channel_id: str, *, tenant: str = "") -> ChannelPolicy:
        policy = self.defaults()
        for name, item in self.stored(platform, channel_id, tenant=tenant).items():
            value = item.value
            # A row written by a newer version, or by hand, that this one cannot read keeps the default.
            if name == "threshold":
                try:
                    policy = dataclasses.replace(policy, threshold=float(value), own_threshold=True)
                except ValueError:
                    continue
            elif name == "muted":
                policy = dataclasses.replace(policy, muted=frozenset(v for v in value.split(",") if v))
            elif name == "links" and value in ("on", "off"):
                policy = dataclasses.replace(policy, links=value == "on")
            elif name == "thread" and value in ("on", "off"):
                policy = dataclasses.replace(policy, thread=value == "on")
            elif name == "digest" and value in ("on", "off"):
                policy = dataclasses.replace(policy, digest=value == "on")
            elif name == "language" and value in LANGUAGES:
                policy = dataclasses.replace(policy, language=_language(value))
        return policy

    def reply_language(self, platform: str, channel_id: str, *, tenant: str = "") -> Language | None:
        """The language a channel wants its replies in; None to follow the language of the text answered."""
        return self.policy(platform, channel_id, tenant=tenant).language

    # -- the command ------------------------------------------------------------------------------------------

    def change(
        self,
        platform: str,
        channel_id: str,
        args: Sequence[str],
        user_id: str,
        *,
        tenant: str = "",
        lang: Lang = "en",
    ) -> str:
        """Apply `settings NAME VALUE…` to a channel of a tenant; the confirmation, in `lang`. Raises SettingError
        (its message in `lang` too), and changes nothing, when the command cannot be applied."""
        where: _Channel = (platform, tenant, channel_id)
        name, *values = [a for a in args if a]
        name = name.lower()
        if name == "reset":
            return self._reset(where, values, lang)
        if name in ("mute", "unmute"):
            return self._mute(where, name == "mute", values, user_id, lang)
        if len(values) != 1:
            raise SettingError(self.usage(lang))
        value = values[0]
        if name == "threshold":
            low, high = self.min_threshold, THRESHOLD_MAX
            try:
                number = int(value)
            except ValueError:
                raise SettingError(word("settings_threshold_number", lang, low=low, high=high)) from None
            if not low <= number <= high:
                raise SettingError(word("settings_threshold_range", lang, low=low, high=high, number=number))
            self._write(where, "threshold", str(number), user_id)
            return word("settings_threshold_set", lang, number=number)
        if name in ("links", "thread", "digest"):
            state = _on_off(value, name, lang)
            self._write(where, name, state, user_id)
            return word(f"settings_{name}_{state}", lang)
        if name == "language":
            chosen = value.lower()
            if chosen not in LANGUAGES:
                raise SettingError(word("settings_language_bad", lang, choices=", ".join(LANGUAGES), value=value))
            self._write(where, "language", chosen, user_id)
            new = _language(chosen)
            if new is None:
                return word("settings_language_auto", lang)
            return word("settings_language_set", lang, code=new, name=LANGUAGE_NAMES_IN[lang][new])
        raise SettingError(word("settings_unknown", lang, name=name, usage=self.usage(lang)))

    def _mute(self, where: _Channel, mute: bool, ids: Sequence[str], user_id: str, lang: Lang = "en") -> str:
        verb = "mute" if mute else "unmute"
        if not ids:
            raise SettingError(word("settings_mute_usage", lang, verb=verb))
        wanted = [i.strip().lower() for i in ids]
        platform, tenant, channel_id = where
        current = set(self.policy(platform, channel_id, tenant=tenant).muted)
        if mute:
            known = set(self.known_ids())
            unknown = [i for i in wanted if i not in known]
            if unknown:
                raise SettingError(word("settings_mute_unknown", lang, ids=_ids(unknown)))
            current.update(wanted)
        else:
            missing = [i for i in wanted if i not in current]
            if missing:
                raise SettingError(word("settings_not_muted", lang, ids=_ids(missing)))
            current.difference_update(wanted)
        if current:
            self._write(where, "muted", ",".join(sorted(current)), user_id)
        else:
            self._delete(where, "muted")
        return word("settings_muted" if mute else "settings_unmuted", lang, ids=_ids(wanted))

    def _reset(self, where: _Channel, names: Sequence[str], lang: Lang = "en") -> str:
        if not names:
            removed = self._delete(where)
            return word("settings_reset_all" if removed else "settings_reset_nothing", lang)
        unknown = [n for n in names if n.lower() not in SETTING_NAMES]
        if unknown:
            raise SettingError(word("settings_reset_unknown", lang, name=unknown[0], names=", ".join(SETTING_NAMES)))
        for name in names:
            self._delete(where, name.lower())
        return word("settings_reset_some", lang, names=_ids([n.lower() for n in names]))

    def describe(self, platform: str, channel_id: str, *, tenant: str = "", lang: Lang = "en") -> str:
        """Every setting in effect and where it comes from, for `settings` with no arguments, in `lang` (the
        setting names and `auto` stay as they are typed)."""
        policy = self.policy(platform, channel_id, tenant=tenant)
        stored = self.stored(platform, channel_id, tenant=tenant)
        known = set(self.known_ids())

        def origin(name: str, env: str) -> str:
            item = stored.get(name)
            if item is None:
                return word("settings_default_from", lang, env=env) if env else word("settings_default", lang)
            date = time.strftime("%Y-%m-%d", time.gmtime(item.updated_at))
            if item.updated_by:
                return word("settings_set_by", lang, who=item.updated_by, date=date)
            return word("settings_set_on", lang, date=date)

        def on_off(value: bool) -> str:
            return word("settings_value_on" if value else "settings_value_off", lang)

        gone = word("settings_gone", lang)
        muted = ", ".join(f"`{m}`" + ("" if m in known else gone) for m in sorted(policy.muted))
        threshold = f"{policy.threshold:g}"
        lines = [
            word("settings_header", lang),
            f"• threshold: {threshold} — {origin('threshold', 'NARRATIVE_BOT_ALERT_THRESHOLD')}",
            f"• muted: {muted or word('settings_none', lang)} — {origin('muted', '')}",
            f"• links: {on_off(policy.links)} — {origin('links', 'NARRATIVE_BOT_LINK_REPLIES')}",
            f"• thread: {on_off(policy.thread)} — {origin('thread', 'NARRATIVE_BOT_FEED_THREADS')}",
            f"• language: {policy.language or 'auto'} — {origin('language', 'NARRATIVE_BOT_REPLY_LANGUAGE')}",
            f"• digest: {on_off(policy.digest)} — {origin('digest', 'NARRATIVE_BOT_DIGEST')}",
            word("settings_footer", lang),
        ]
        return "\n".join(lines)
