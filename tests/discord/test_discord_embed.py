"""The Discord embed renderer keeps every card within Discord's embed limits, whatever the inputs."""

from __future__ import annotations

from typing import Any

import discord

from bot.models import ArticleRef, CommandResponse, FeedRef, Finding, LinkProblem, SourceLink, Verdict
from bot.render.discord_embed import (
    CONTENT_MAX,
    TOTAL_MAX,
    discord_markdown,
    problems_text,
    response_message,
    verdict_embed,
    verdict_embeds,
)

LONG = "слово word " * 2000  # 22,000 characters, mixed scripts


def finding(i: int = 0, *, long: bool = False, level: str = "alert") -> Finding:
    text = LONG if long else "Russia never sent troops to Korea."
    return Finding(
        narrative_id=f"narrative-{i}" + ("-x" * 200 if long else ""),
        title=(LONG if long else f"Narrative {i}"),
        score=87 - i,
        level=level,  # type: ignore[arg-type]
        evidence=text,
        matched=text,
        debunk=(LONG if long else "Ukrainian and South Korean intelligence documented the deployment."),
        sources=tuple(
            SourceLink(
                title=(LONG if long else f"Source {j}"),
                url=f"https://example.org/{'a' * (3000 if long else 3)}/{j}",
            )
            for j in range(40 if long else 2)
        ),
    )


def verdict(*, long: bool = False, findings: int = 3) -> Verdict:
    return Verdict(
        findings=tuple(finding(i, long=long) for i in range(findings)),
        article=ArticleRef(
            url="https://news.example/ru/article(1)" + ("/x" * 5000 if long else ""),
            title=LONG if long else "Article title",
            site=LONG if long else "news.example",
        ),
        feed=FeedRef(url="https://feeds.example/rss", title=LONG if long else "Feed"),
    )


def assert_within_limits(embeds: list[discord.Embed]) -> None:
    assert len(embeds) <= 10
    total = 0
    for embed in embeds:
        data: dict[str, Any] = dict(embed.to_dict())
        assert len(data.get("title", "")) <= 256
        assert len(data.get("description", "")) <= 4096
        fields = data.get("fields", [])
        assert len(fields) <= 25
        for field in fields:
            assert 0 < len(field["name"]) <= 256
            assert 0 < len(field["value"]) <= 1024
        assert len(data.get("footer", {}).get("text", "")) <= 2048
        assert len(data.get("url", "")) <= 2048
        total += len(embed)
    assert total <= TOTAL_MAX


def test_ordinary_card_names_the_narrative_and_carries_every_part() -> None:
    v = verdict(findings=2)
    embed = verdict_embed(v)
    data = embed.to_dict()
    assert data["title"] == "Known narrative: Narrative 0"
    assert "Russia never sent troops to Korea." in data["description"]
    names = [f["name"] for f in data["fields"]]
    assert names[:3] == ["Confidence", "Article", "Feed"]
    assert "The facts" in names and "Sources" in names and "Also: Narrative 1" in names
    article = next(f["value"] for f in data["fields"] if f["name"] == "Article")
    assert "Article title (news.example)" in article
    assert "%28" in article and "(1)" not in article.split("](")[1]  # parentheses can't end the link early
    sources = next(f["value"] for f in data["fields"] if f["name"] == "Sources")
    assert "[Source 0](https://example.org/aaa/0)" in sources
    assert "87/100" in next(f["value"] for f in data["fields"] if f["name"] == "Confidence")
    assert data["footer"]["text"].startswith("narrative: narrative-0")
    assert_within_limits([embed])


def test_suggestion_says_so() -> None:
    v = Verdict(findings=(finding(level="suggest"),))
    data = verdict_embed(v).to_dict()
    assert data["title"].startswith("Possible narrative")
    assert "below the alert threshold" in data["description"]


def test_very_long_inputs_stay_within_every_limit() -> None:
    embed = verdict_embed(verdict(long=True))
    assert_within_limits([embed])
    assert embed.title and embed.title.startswith("Known narrative:")
    assert "url" not in embed.to_dict()  # a 10,000-character URL is not a valid embed URL


def test_many_cards_share_the_message_budget() -> None:
    embeds = verdict_embeds([verdict(long=True)] * 12)
    assert len(embeds) == 10
    assert_within_limits(embeds)


def test_markdown_and_mentions_in_page_text_are_shown_literally() -> None:
    f = Finding("n", "T", 90, "alert", "@everyone **bold** [x](https://evil.example)", "m", "debunk text here", ())
    data = verdict_embed(Verdict(findings=(f,))).to_dict()
    assert "@everyone" not in data["description"]
    assert "\\*\\*bold\\*\\*" in data["description"]


def test_problems_fit_in_message_content() -> None:
    problems = [LinkProblem(f"https://x.example/{i}" + "y" * 500, "timeout", "It took too long.") for i in range(50)]
    text = problems_text(problems)
    assert len(text) <= CONTENT_MAX
    assert text.endswith("more")


def test_long_command_answers_move_into_an_embed() -> None:
    text = "12 narratives:\n" + "\n".join(f"• `id-{i}` — *Title* {i} " + "x" * 80 for i in range(200))
    content, embeds = response_message(CommandResponse(text))
    assert content == ""
    assert_within_limits(embeds)
    assert embeds[0].description and embeds[0].description.endswith("more")


def test_short_answers_are_content_with_discord_bold() -> None:
    content, embeds = response_message(CommandResponse("*Title* (`id`) and *The facts:* x"))
    assert content == "**Title** (`id`) and **The facts:** x"
    assert embeds == []
    assert discord_markdown("a*b*c") == "a*b*c"  # not a Slack bold: no word boundary
