"""Verdict cards and command answers drawn as Discord embeds, always within Discord's embed limits."""

from __future__ import annotations

import re
from collections.abc import Sequence

import discord

from bot.models import CommandResponse, Finding, LinkProblem, Verdict
from bot.render.common import EVIDENCE_MAX_CHARS, article_line, clip, confidence_text, level_word, signals_list
from bot.render.i18n import Lang, word

# Discord's limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits). The 6000
# total counts every embed of one message together, so a message with several cards splits it between them.
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
AUTHOR_MAX = 256
TOTAL_MAX = 6000
EMBEDS_PER_MESSAGE = 10
CONTENT_MAX = 2000
URL_MAX = 2048

ALERT_COLOUR = discord.Colour(0xC0392B)
SUGGEST_COLOUR = discord.Colour(0xE67E22)
INFO_COLOUR = discord.Colour(0x546E7A)


def clip_block(text: str, limit: int) -> str:
    """Shorten multi-line text to `limit` characters, keeping its line breaks (`clip` joins lines)."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = max(cut.rfind(" "), cut.rfind("\n"))
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,.;:\n") + "…"


def _escape(text: str) -> str:
    """Text from pages and the library shown literally: no markdown, no masked-link tricks, no mentions."""
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text))


def _safe_url(url: str) -> str | None:
    """A URL Discord accepts in an embed and in a masked link (parentheses would end the link early)."""
    if not re.match(r"^https?://\S+$", url) or len(url) > URL_MAX:
        return None
    return url.replace("(", "%28").replace(")", "%29")


def _link(title: str, url: str, limit: int) -> str:
    safe = _safe_url(url)
    label = _escape(clip(title, min(limit, 200))).replace("[", "(").replace("]", ")")
    if safe is None:
        return clip(label, limit)
    line = f"[{label}]({safe})"
    return line if len(line) <= limit else clip(f"{label} {safe}", limit)


def _lines_within(lines: Sequence[str], limit: int) -> str:
    """Whole lines joined up to `limit` characters, saying how many were left out."""
    reserve = 20  # room for "… and N more"
    out: list[str] = []
    used = 0
    for i, line in enumerate(lines):
        cost = len(line) + (1 if out else 0)
        last = i == len(lines) - 1
        if used + cost <= (limit if last else limit - reserve):
            out.append(line)
            used += cost
            continue
        if not out:
            out.append(clip(line, limit - reserve))
            i += 1
        if i < len(lines):
            out.append(f"… and {len(lines) - i} more")
        break
    return "\n".join(out)


def _findings_text(finding: Finding, evidence_max: int, lang: Lang = "en") -> str:
    confidence = confidence_text(finding, lang)
    return f"> “{_escape(clip(finding.evidence, evidence_max))}”\n{confidence[0].upper()}{confidence[1:]}"


def verdict_embed(verdict: Verdict, *, budget: int = TOTAL_MAX) -> discord.Embed:
    """One card: narrative title, evidence quote, confidence, debunk with sources, article title and site.

    `budget` is this embed's share of the 6000 characters a message may carry in all its embeds.
    """
    top = verdict.top
    lang = verdict.language
    embed = discord.Embed(
        title=clip(f"{level_word(top, lang)}: {top.title}", TITLE_MAX),
        description=clip_block(_findings_text(top, EVIDENCE_MAX_CHARS, lang), DESCRIPTION_MAX),
        colour=ALERT_COLOUR if top.level == "alert" else SUGGEST_COLOUR,
    )
    if verdict.article is not None and _safe_url(verdict.article.url):
        embed.url = _safe_url(verdict.article.url)
    confidence = clip(confidence_text(top, lang), FIELD_VALUE_MAX)
    embed.add_field(name=word("confidence", lang), value=confidence, inline=True)
    why = signals_list(top, lang)
    if why:
        embed.add_field(name=word("signals", lang), value=clip(_escape(why), FIELD_VALUE_MAX), inline=True)
    article = article_line(verdict)
    if article is not None and verdict.article is not None:
        link = _link(article, verdict.article.url, FIELD_VALUE_MAX)
        embed.add_field(name=word("article", lang), value=link, inline=True)
    if verdict.feed is not None:
        feed_name = verdict.feed.title or verdict.feed.url
        link = _link(feed_name, verdict.feed.url, FIELD_VALUE_MAX)
        embed.add_field(name=word("feed", lang), value=link, inline=True)
    embed.add_field(name=word("facts", lang), value=clip(_escape(top.debunk), FIELD_VALUE_MAX), inline=False)
    if top.sources:
        lines = [_link(s.title, s.url, FIELD_VALUE_MAX) for s in top.sources]
        embed.add_field(name=word("sources", lang), value=_lines_within(lines, FIELD_VALUE_MAX), inline=False)
    for other in verdict.findings[1:]:
        if len(embed.fields) >= FIELDS_MAX:
            break
        embed.add_field(
            name=clip(f"{word('also', lang)}: {other.title}", FIELD_NAME_MAX),
            value=clip_block(_findings_text(other, 200, lang), FIELD_VALUE_MAX),
            inline=False,
        )
    embed.set_footer(text=clip(f"{word('narrative', lang)}: {top.narrative_id} · narrative-bot", FOOTER_MAX))
    return fit(embed, budget, also=f"{word('also', lang)}:")


def fit(embed: discord.Embed, budget: int = TOTAL_MAX, also: str = "Also:") -> discord.Embed:
    """Shrink an embed until its counted characters fit `budget`: extra findings go first, then long texts.

    `also` is how the extra findings' field names begin in the card's language."""
    budget = min(budget, TOTAL_MAX)
    # Later fields ("Also: ...") are the least important; drop them before clipping anything the reader needs.
    while len(embed) > budget and len(embed.fields) > 2 and (embed.fields[-1].name or "").startswith(also):
        embed.remove_field(len(embed.fields) - 1)
    while len(embed) > budget:
        excess = len(embed) - budget
        # Clip whichever text is longest; each pass removes at least `excess` or empties that text.
        sizes: list[tuple[int, str, int]] = [(len(embed.description or ""), "description", -1)]
        sizes.extend((len(f.value or ""), "field", i) for i, f in enumerate(embed.fields))
        sizes.append((len(embed.title or ""), "title", -1))
        size, kind, index = max(sizes)
        if size <= 1:
            break
        target = max(1, size - max(excess, 1))
        if kind == "description":
            embed.description = clip_block(embed.description or "", target)
        elif kind == "title":
            embed.title = clip(embed.title or "", target)
        else:
            field = embed.fields[index]
            value = clip_block(field.value or "", target)
            embed.set_field_at(index, name=field.name, value=value, inline=field.inline)
    return embed


def verdict_embeds(verdicts: Sequence[Verdict]) -> list[discord.Embed]:
    """Cards for one message: at most 10, sharing the 6000 characters a message may carry."""
    shown = list(verdicts[:EMBEDS_PER_MESSAGE])
    if not shown:
        return []
    share = TOTAL_MAX // len(shown)
    return [verdict_embed(v, budget=share) for v in shown]


def problems_text(problems: Sequence[LinkProblem]) -> str:
    """Unreadable links as message content (within Discord's 2000 characters)."""
    lines = [f"⚠ <{p.url}>: {p.message}" if _safe_url(p.url) else f"⚠ {p.message}" for p in problems]
    return _lines_within([clip(line, 600) for line in lines], CONTENT_MAX)


_SLACK_BOLD = re.compile(r"(?<![*\w])\*([^*\n]+)\*(?![*\w])")


def discord_markdown(text: str) -> str:
    """The core writes Slack mrkdwn (`*bold*`); Discord reads single asterisks as italics."""
    return _SLACK_BOLD.sub(r"**\1**", text)


def response_message(response: CommandResponse) -> tuple[str, list[discord.Embed]]:
    """A command answer as (content, embeds): long answers move into an embed's larger description."""
    text = discord_markdown(response.text)
    embeds = verdict_embeds(response.verdicts)
    if response.problems and not response.verdicts and response.text.strip() == response.problems[0].message:
        text = problems_text(response.problems)
    if len(text) <= CONTENT_MAX:
        return text, embeds
    used = sum(len(e) for e in embeds)
    room = min(DESCRIPTION_MAX, TOTAL_MAX - used)
    if room < 200 or len(embeds) >= EMBEDS_PER_MESSAGE:
        return _lines_within(text.split("\n"), CONTENT_MAX), embeds
    info = discord.Embed(description=_lines_within(text.split("\n"), room), colour=INFO_COLOUR)
    return "", [info, *embeds]
