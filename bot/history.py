"""The alert history: every card the bot posted, one row per narrative, and the feedback given on it."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal
from urllib.parse import urlsplit

from bot.models import Verdict
from bot.store import Store

logger = logging.getLogger(__name__)

Origin = Literal["message", "feed"]
EXCERPT_CHARS = 4000
# The reasons a ❌ may carry, in the order people are offered them; the key is what is stored.
REASONS: dict[str, str] = {
    "wrong-narrative": "Wrong narrative",
    "not-propaganda": "Not propaganda",
    "fact-check": "A fact-check",
    "other": "Other",
}
CHAT_TEXT_SITE = "(chat text)"
FEEDBACK_BATCH = 500  # alert ids per feedback query, well under SQLite's limit on bound parameters


def excerpt_of(text: str, limit: int = EXCERPT_CHARS) -> str:
    """The start of a text, cut at a word, for review and evaluation later. Spaces are folded but line breaks
    kept: they end sentences for the matcher, so the excerpt matches as the text did."""
    flat = "\n".join(line for line in (" ".join(raw.split()) for raw in text.splitlines()) if line)
    if len(flat) <= limit:
        return flat
    cut = flat[:limit]
    space = max(cut.rfind(" "), cut.rfind("\n"))
    return (cut[:space] if space > limit // 2 else cut) + "…"


def site_of(url: str | None) -> str | None:
    if not url:
        return None
    host = urlsplit(url).hostname or ""
    return host[4:] if host.startswith("www.") else (host or None)


@dataclass(frozen=True)
class PostedCard:
    """A reply or feed alert the platform confirmed, with the ref its feedback buttons carry."""

    platform: str
    channel_id: str
    message_ref: str
    verdicts: Sequence[Verdict]
    origin: Origin
    workspace_id: str | None = None  # the Slack team or Discord guild it was posted in, where known
    message_id: str | None = None
    permalink: str | None = None
    tenant: str = ""  # whose rows it joins: the workspace when the app serves several, else ''


@dataclass(frozen=True)
class AlertRecord:
    """One narrative on one posted card, with the feedback it received so far."""

    id: int
    platform: str
    workspace_id: str | None
    channel_id: str
    message_ref: str
    message_id: str | None
    permalink: str | None
    origin: str
    narrative_id: str
    title: str
    score: int
    source_url: str | None
    site: str | None
    feed_url: str | None
    evidence: str
    excerpt: str
    created_at: float
    correct: int = 0
    wrong: int = 0
    reasons: tuple[str, ...] = ()  # the reasons given with the ❌ clicks, oldest first

    @property
    def link(self) -> str | None:
        """Where a reader finds it again: the posted message when known, else the article."""
        return self.permalink or self.source_url

    @property
    def status(self) -> Literal["confirmed", "disputed", "unreviewed"]:
        """Confirmed when more people marked it right than wrong; disputed when at least as many marked it wrong."""
        if self.wrong and self.wrong >= self.correct:
            return "disputed"
        if self.correct:
            return "confirmed"
        return "unreviewed"

    @property
    def reason(self) -> str | None:
        """The reason most often given with a ❌ (the earliest on a tie)."""
        if not self.reasons:
            return None
        counts = Counter(self.reasons)
        best = max(counts.values())
        return next(r for r in self.reasons if counts[r] == best)


def parse_channel(value: str) -> tuple[str | None, str]:
    """`C0123` or `slack:C0123` (platform named) as (platform or None, channel id)."""
    platform, sep, channel = value.partition(":")
    if sep and platform in ("slack", "discord", "console") and channel:
        return platform, channel
    return None, value


_SELECT = """
    SELECT a.id, a.platform, a.workspace_id, a.channel_id, a.message_ref, a.message_id, a.permalink, a.origin,
           a.narrative_id, a.title, a.score, a.source_url, a.site, a.feed_url, a.evidence, a.excerpt, a.created_at
    FROM alert_history a
"""


class AlertHistory:
    """Reads and writes the alert_history table of the shared Store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def record(self, card: PostedCard) -> int:
        """Keep every alert-level narrative of a posted card; how many rows were new (a repeat adds none)."""
        added = 0
        now = self.store.clock()
        with self.store.transaction() as db:
            for verdict in card.verdicts:
                article = verdict.article
                source_url = article.url if article else None
                site = (
                    (article.site if article and article.site else site_of(source_url))
                    or (site_of(verdict.feed.url) if verdict.feed else None)
                    or CHAT_TEXT_SITE
                )
                for finding in verdict.alerts:
                    cur = db.execute(
                        """INSERT INTO alert_history (platform, workspace_id, tenant, channel_id, message_ref,
                               message_id, permalink, origin, narrative_id, title, score, source_url, site, feed_url,
                               evidence, excerpt, created_at)
                           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                           ON CONFLICT (platform, tenant, channel_id, message_ref, narrative_id) DO NOTHING""",
                        (
                            card.platform, card.workspace_id, card.tenant, card.channel_id, card.message_ref,
                            card.message_id,
                            card.permalink, card.origin, finding.narrative_id, finding.title, finding.score,
                            source_url, site, verdict.feed.url if verdict.feed else None, finding.evidence,
                            verdict.excerpt, now,
                        ),
                    )
                    added += cur.rowcount
        return added

    def record_safely(self, card: PostedCard) -> None:
        """`record` for adapters: the card is already posted, so a failure here is logged, never raised."""
        try:
            self.record(card)
        except Exception:
            logger.exception("could not record the alert history of %s/%s", card.channel_id, card.message_ref)

    def _with_feedback(self, rows: Sequence[object]) -> list[AlertRecord]:
        """The records with their clicks: one query per few hundred alerts, not one per alert."""
        records = [AlertRecord(*row) for row in rows]  # type: ignore[misc]
        votes: dict[int, list[tuple[str, str | None]]] = {}
        for start in range(0, len(records), FEEDBACK_BATCH):
            ids = [r.id for r in records[start : start + FEEDBACK_BATCH]]
            found = self.store.query(
                f"""SELECT a.id, f.value, f.reason FROM alert_history a
                    JOIN feedback f ON f.platform = a.platform AND f.tenant = a.tenant AND f.channel_id = a.channel_id
                        AND f.message_ref = a.message_ref AND f.narrative_id = a.narrative_id
                    WHERE a.id IN ({", ".join("?" for _ in ids)}) ORDER BY f.id""",
                tuple(ids),
            )
            for alert_id, value, reason in found:
                votes.setdefault(int(alert_id), []).append((str(value), reason))
        out = []
        for record in records:
            mine = votes.get(record.id, [])
            out.append(
                replace(
                    record,
                    correct=sum(1 for value, _ in mine if value == "correct"),
                    wrong=sum(1 for value, _ in mine if value == "wrong"),
                    reasons=tuple(reason for value, reason in mine if value == "wrong" and reason),
                )
            )
        return out

    def recent(self, platform: str, channel_id: str, limit: int = 10, *, tenant: str = "") -> list[AlertRecord]:
        """The channel's (of a tenant) latest alerts, newest first."""
        rows = self.store.query(
            _SELECT + """ WHERE a.platform = ? AND a.tenant = ? AND a.channel_id = ?
                          ORDER BY a.created_at DESC, a.id DESC LIMIT ?""",
            (platform, tenant, channel_id, limit),
        )
        return self._with_feedback(rows)

    def alerts(
        self, *, since: float | None = None, channel: str | None = None, tenant: str | None = None
    ) -> list[AlertRecord]:
        """Every alert since a time (all when None), in one channel when asked (`C0123` or `slack:C0123`), of one
        tenant when asked, oldest first."""
        sql = _SELECT + " WHERE 1=1"
        params: list[object] = []
        if tenant is not None:
            sql += " AND a.tenant = ?"
            params.append(tenant)
        if since is not None:
            sql += " AND a.created_at >= ?"
            params.append(since)
        if channel is not None:
            platform, channel_id = parse_channel(channel)
            sql += " AND a.channel_id = ?"
            params.append(channel_id)
            if platform is not None:
                sql += " AND a.platform = ?"
                params.append(platform)
        return self._with_feedback(self.store.query(sql + " ORDER BY a.created_at, a.id", tuple(params)))

    def set_reason(
        self, platform: str, message_ref: str, narrative_id: str, user_id: str, reason: str, *, tenant: str = ""
    ) -> bool:
        """Attach a reason to someone's ❌; False when there is no such ❌ to attach it to."""
        if reason not in REASONS:
            raise ValueError(f"unknown reason {reason!r} (expected one of {', '.join(REASONS)})")
        with self.store.transaction() as db:
            cur = db.execute(
                """UPDATE feedback SET reason = ?
                   WHERE platform = ? AND tenant = ? AND message_ref = ? AND narrative_id = ? AND user_id = ?
                       AND value = 'wrong'""",
                (reason, platform, tenant, message_ref, narrative_id, user_id),
            )
            return cur.rowcount > 0

