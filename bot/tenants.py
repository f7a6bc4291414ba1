"""Rows written before workspaces were told apart (tenant '') handed to the Discord server they belong to.

Discord channel ids are unique across servers, so a channel the bot sees in a server is that server's: its
subscriptions, settings, history, feedback, digest state and pending alerts move to the server's tenant the first
time the bot sees it after an upgrade. A row the server already has under its own tenant is left as it is.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.store import Store

# Each table with a tenant, and the other columns of its unique key.
TENANT_TABLES: dict[str, tuple[str, ...]] = {
    "subscriptions": ("platform", "channel_id", "feed_url"),
    "channel_settings": ("platform", "channel_id", "name"),
    "alert_history": ("platform", "channel_id", "message_ref", "narrative_id"),
    "feedback": ("platform", "message_ref", "narrative_id", "user_id"),
    "digest_channels": ("platform", "channel_id"),
    "feed_alerts": ("feed_url", "item_key", "platform", "channel_id"),
}
BATCH = 300  # bound parameters per statement (SQLite caps them)


def adopt_channels(store: Store, platform: str, tenant: str, channel_ids: Sequence[str]) -> int:
    """Move the '' rows of these channels to `tenant`, in one transaction; how many rows moved."""
    if not tenant:
        return 0
    moved = 0
    with store.transaction() as db:
        for start in range(0, len(channel_ids), BATCH):
            chunk = list(channel_ids[start : start + BATCH])
            marks = ", ".join("?" for _ in chunk)
            for table, key in TENANT_TABLES.items():
                same = " AND ".join(f"o.{column} = {table}.{column}" for column in key)
                moved += db.execute(
                    f"""UPDATE {table} SET tenant = ?
                        WHERE platform = ? AND tenant = '' AND channel_id IN ({marks})
                          AND NOT EXISTS (SELECT 1 FROM {table} o WHERE o.tenant = ? AND {same})""",
                    (tenant, platform, *chunk, tenant),
                ).rowcount
    return moved
