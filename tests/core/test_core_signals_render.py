"""Every card names the signals that carried its match, in the console, Slack's Block Kit and Discord's embed."""

from __future__ import annotations

import json

from bot.models import Finding, SourceLink, Verdict
from bot.render.discord_embed import verdict_embed
from bot.render.slack_blocks import verdict_blocks
from bot.render.text import render_verdict

SIGNALS = ("similar phrasing", "stance words: фейк", "model multilingual-e5-small: 91% this talking point")


def _verdict(signals: tuple[str, ...]) -> Verdict:
    finding = Finding(
        "troops-denial", "Reports of North Korean troops are a fake", 71, "alert",
        "Никаких солдат КНДР под Курском нет, это фейк.", "phrasing", "In April 2025 both acknowledged it.",
        (SourceLink("UN News", "https://news.un.org/"),), signals,
    )
    return Verdict((finding,))


def test_console_card_says_why() -> None:
    card = render_verdict(_verdict(SIGNALS))
    assert "Why: similar phrasing · stance words: фейк · model multilingual-e5-small" in " ".join(card.split())
    assert "Why:" not in render_verdict(_verdict(()))


def test_slack_card_says_why() -> None:
    blocks = json.dumps(verdict_blocks(_verdict(SIGNALS), "C1:1"), ensure_ascii=False)
    assert "Why: similar phrasing · stance words: фейк" in blocks
    assert "Why:" not in json.dumps(verdict_blocks(_verdict(()), "C1:1"), ensure_ascii=False)


def test_discord_card_says_why() -> None:
    fields = {f.name: f.value for f in verdict_embed(_verdict(SIGNALS)).fields}
    assert fields["Signals"].startswith("similar phrasing · stance words: фейк")
    assert "Signals" not in {f.name for f in verdict_embed(_verdict(())).fields}
