"""Sources of the bundled debunks after the issue-12 fact-check: one title per document, no retired links."""

from __future__ import annotations

from matchers import Library

# The press release's own headline: a shortened paraphrase under its number made two sources look like two documents.
SC_15648_URL = "https://press.un.org/en/2024/sc15648.doc.htm"
SC_15648_TITLE = (
    "UN press release SC/15648: Security Council Fails to Extend Mandate for Expert Panel Assisting Sanctions "
    "Committee on Democratic People's Republic of Korea, Owing to Veto Cast by Russian Federation (28 March 2024)"
)


def test_sc15648_has_its_official_title_everywhere(library: Library) -> None:
    titles = {s.title for n in library.narratives for s in n.sources if s.url == SC_15648_URL}
    assert titles == {SC_15648_TITLE}


def test_commission_of_inquiry_is_cited_by_its_report(library: Library) -> None:
    # The OHCHR page address the library used to cite did not resolve to the Commission's page.
    urls = {s.url for n in library.narratives for s in n.sources}
    assert not any("ohchr.org" in u for u in urls)
    for narrative_id in ("historic-friendship", "kim-flattery"):
        narrative = library.get(narrative_id)
        assert narrative is not None
        assert "https://undocs.org/A/HRC/25/63" in {s.url for s in narrative.sources}


def test_troops_denial_no_longer_rests_on_the_workers_resolution(library: Library) -> None:
    narrative = library.get("troops-denial")
    assert narrative is not None
    assert all("2397" not in s.url for s in narrative.sources)
    assert "months of official denials" not in narrative.debunk
