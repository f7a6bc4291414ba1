"""Sources of the bundled debunks after their fact-check: one title per document, a source for each correction."""

from __future__ import annotations

from matchers import Library

# The press release's own headline (its subheading, "Text Rejected on Account of Veto Cast by Russian Federation",
# is not part of it): a shortened paraphrase under its number made two sources look like two documents.
SC_15648_URL = "https://press.un.org/en/2024/sc15648.doc.htm"
SC_15648_TITLE = (
    "UN press release SC/15648: Security Council Fails to Extend Mandate for Expert Panel Assisting Sanctions "
    "Committee on Democratic People's Republic of Korea (28 March 2024)"
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
    assert "months of official denials" not in narrative.debunk_in("en")


def test_one_title_per_source_address(library: Library) -> None:
    """The same article cited under two titles reads as two sources; each address has one title."""
    titles: dict[str, set[str]] = {}
    for narrative in library.narratives:
        for source in narrative.sources:
            titles.setdefault(source.url, set()).add(source.title)
    assert {url: t for url, t in titles.items() if len(t) > 1} == {}


def test_troops_denial_cites_the_october_reports_and_both_acknowledgements(library: Library) -> None:
    narrative = library.get("troops-denial")
    assert narrative is not None
    titles = [s.title for s in narrative.sources]
    assert any("10 October 2024" in t and "Kremlin" in t for t in titles)  # Peskov's dismissal
    assert sum("October 2024" in t for t in titles) >= 3  # the dismissal and the reports it dismissed
    assert any("April 2025" in t and "Russia" in t for t in titles)  # Moscow's acknowledgement
    assert any("April 2025" in t and "North Korea confirms" in t for t in titles)  # Pyongyang's


def test_the_pyongyang_church_has_a_source(library: Library) -> None:
    narrative = library.get("historic-friendship")
    assert narrative is not None
    church = [s for s in narrative.sources if "Life-Giving Trinity" in s.title]
    assert church and "2006" in church[0].title
    assert "Life-Giving Trinity" in narrative.debunk_in("en")
