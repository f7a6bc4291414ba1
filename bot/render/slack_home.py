"""The App Home tab on Slack: what the bot is, the channels' settings, the latest feed alerts, the commands."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.channel_settings import ChannelPolicy
from bot.models import Verdict
from bot.render.common import clip
from bot.render.slack_blocks import SECTION_BUDGET, escape, link

Block = dict[str, Any]
MAX_BLOCKS = 100  # Slack's limit for a Home tab view
ABOUT = (
    "I recognise Kremlin talking points about the Russia–DPRK alliance in links pasted where I am a member, in the "
    "feeds a channel watches and in `/narrative check`, and answer them with sourced facts. ✅/❌ under a card "
    "tells me whether I was right."
)
COMMANDS = (
    "*Commands* (type them in any channel): `/narrative check TEXT|URL`, `search WORDS`, `show ID`, `list`, "
    "`feeds add|remove|list`, `settings`, `help`. On a message, *⋯ → Check for narratives* checks it for you alone."
)


@dataclass(frozen=True)
class RecentAlert:
    channel_id: str
    verdict: Verdict


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, SECTION_BUDGET)}}


def policy_text(policy: ChannelPolicy) -> str:
    muted = ", ".join(f"`{m}`" for m in sorted(policy.muted)) or "none"
    return (
        f"threshold {policy.threshold:g} · muted: {muted} · links {'on' if policy.links else 'off'} · "
        f"thread {'on' if policy.thread else 'off'} · language {policy.language or 'auto'} · "
        f"digest {'on' if policy.digest else 'off'}"
    )


def home_view(
    defaults: ChannelPolicy, channels: Sequence[tuple[str, ChannelPolicy]], recent: Sequence[RecentAlert]
) -> dict[str, Any]:
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": "narrative-bot"}},
        _section(ABOUT),
        {"type": "divider"},
        _section(f"*Settings everywhere by default:* {policy_text(defaults)}"),
    ]
    if channels:
        blocks.append(_section("*Channels with their own settings:*"))
        blocks.extend(_section(f"<#{cid}>: {policy_text(policy)}") for cid, policy in channels[:40])
    else:
        blocks.append(_section("No channel has settings of its own yet: `/narrative settings` in a channel."))
    blocks.append({"type": "divider"})
    if recent:
        blocks.append(_section("*Latest feed alerts:*"))
        for alert in recent:
            top, article = alert.verdict.top, alert.verdict.article
            where = f" — {link(article.url, article.title)}" if article is not None else ""
            blocks.append(_section(f"<#{alert.channel_id}> · *{escape(top.title)}* ({top.score}/100){where}"))
    blocks.append({"type": "divider"})
    blocks.append(_section(COMMANDS))
    return {"type": "home", "blocks": blocks[:MAX_BLOCKS]}
