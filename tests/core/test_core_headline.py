"""A headline repeated as <title>, <h1> and first sentence is quoted once in the evidence, not three times."""

from __future__ import annotations

from bot.app import App
from bot.headline import dedupe_headline, with_headline
from bot.models import CommandRequest
from matchers import Library
from tests.fetch.loopback import LoopbackServer

FILLER = (
    "The regional administration reported on road repairs and school renovations this week. "
    "Forecasters expect mild weather through the weekend, with light rain on Sunday."
)


def _claim(library: Library) -> str:
    narrative = library.get("west-in-panic")
    assert narrative is not None
    return narrative.examples[0].rstrip(".")  # headlines carry no final stop, so sentences run together


def _page(claim: str) -> bytes:
    return (
        f"<html><head><title>{claim} | Test News</title><meta property='og:title' content='{claim}'></head>"
        f"<body><article><h1>{claim}</h1><p>{claim} {FILLER}</p><p>{FILLER}</p></article></body></html>"
    ).encode()


async def test_the_evidence_quotes_the_headline_once(app: App, page_server: LoopbackServer, library: Library) -> None:
    claim = _claim(library)
    page_server.serve("/same-headline", _page(claim))
    request = CommandRequest("console", "c", f"check {page_server.url('/same-headline')}")
    response = await app.core.handle_command(request)
    assert response.verdicts, response.text
    evidence = response.verdicts[0].top.evidence
    assert evidence.count(claim) == 1, evidence


async def test_a_plain_text_page_is_not_doubled_either(
    app: App, page_server: LoopbackServer, library: Library
) -> None:
    claim = _claim(library)
    page_server.serve("/note.txt", f"{claim}\n{FILLER}\n".encode(), content_type="text/plain; charset=utf-8")
    verdict, problem = await app.core.assessor.read_and_assess(page_server.url("/note.txt"))
    assert problem is None and verdict is not None
    assert verdict.top.narrative_id == "west-in-panic"
    assert verdict.top.evidence.count(claim) == 1, verdict.top.evidence


def test_dedupe_keeps_the_headline_once_and_the_rest_whole() -> None:
    text = "Big News Today\nBig News Today. First fact here.\nSecond paragraph.\nSecond paragraph."
    assert dedupe_headline(text, "Big News Today | Site") == "Big News Today\nFirst fact here.\nSecond paragraph."
    assert dedupe_headline("Big News Today is what they said.", "Big News") == "Big News Today is what they said."
    assert with_headline("Big News Today | Site", "Big News Today\nFirst fact.") == "Big News Today\nFirst fact."
    assert with_headline("Headline here", "Body text.") == "Headline here\nBody text."
    assert with_headline(None, "Body text.") == "Body text."
