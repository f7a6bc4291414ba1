"""Properties of the link finder and the URL canonicaliser (issue 11, item 8)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.links import canonical_feed_url, canonicalize_url, find_links
from tests.fuzz.fuzzing import FUZZ, nasty_text, prose

hosts = st.one_of(
    st.from_regex(r"[a-zA-Z0-9-]{1,10}(\.[a-zA-Z0-9-]{1,10}){0,3}\.?", fullmatch=True),
    st.text(alphabet="пример.рфäöü-。．｡xn-0123456789.", min_size=1, max_size=20),
    st.sampled_from(["127.0.0.1", "[::1]", "[fe80::1%25eth0]", "0x7f.1", "2130706433", "a.b。", "xn--e1afmkfd.xn--p1ai"]),
)
urls = st.builds(
    lambda scheme, userinfo, host, port, path, query, fragment: (
        f"{scheme}://{userinfo}{host}{port}{path}{query}{fragment}"
    ),
    st.sampled_from(["http", "https", "HTTP", "hTtPs", "ftp", "javascript"]),
    st.sampled_from(["", "user@", "a:b@", "bank.example@"]),
    hosts,
    st.sampled_from(["", ":80", ":443", ":8080", ":0", ":99999", ":¹", ":-1"]),
    st.one_of(st.just(""), st.text(max_size=20).map(lambda s: "/" + s)),
    st.one_of(
        st.just(""),
        st.lists(st.sampled_from(["utm_source=x", "a=1", "b=%d0%b6", "fbclid=2", "x", "=", "&", "q=ж"])).map(
            lambda parts: "?" + "&".join(parts)
        ),
    ),
    st.sampled_from(["", "#frag", "#"]),
)


@FUZZ
@given(url=st.one_of(urls, nasty_text, st.text(max_size=60).map(lambda s: "http://" + s)))
def test_canonical_url_is_a_fixpoint_or_a_value_error(url: str) -> None:
    try:
        once = canonicalize_url(url)
    except ValueError:  # the documented refusal
        return
    assert once.startswith(("http://", "https://"))
    assert once.isascii() and "#" not in once and "@" not in once.split("/", 3)[2]
    assert canonicalize_url(once) == once
    assert canonical_feed_url(once) == once


@FUZZ
@given(parts=st.lists(st.one_of(urls, prose, st.sampled_from(["<", ">", "|", "&lt;", "&amp;", "(", ")"]))))
def test_find_links_yields_canonical_links_only(parts: list[str]) -> None:
    text = " ".join(parts)
    found = find_links(text, limit=5)
    assert len(found) <= 5 and len(set(found)) == len(found)
    for url in found:
        assert canonicalize_url(url) == url


@FUZZ
@given(text=nasty_text, limit=st.integers(min_value=-1, max_value=4))
def test_find_links_never_raises(text: str, limit: int) -> None:
    assert len(find_links(text, limit=limit)) <= max(limit, 0)
