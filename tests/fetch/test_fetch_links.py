"""find_links / canonicalize_url on the shapes Slack and Discord send."""

from __future__ import annotations

import pytest

from bot.links import canonicalize_url, find_links


def test_slack_link_with_label_is_canonical() -> None:
    text = "look <https://X.ru/a?utm_source=t|label> now"
    assert find_links(text) == ["https://x.ru/a"]


def test_slack_escaped_ampersand() -> None:
    text = "<https://news.example/a?id=5&amp;utm_medium=social&amp;page=2|news.example/a>"
    assert find_links(text) == ["https://news.example/a?id=5&page=2"]


def test_discord_suppressed_embed() -> None:
    assert find_links("see <https://example.com/story#comments>") == ["https://example.com/story"]


@pytest.mark.parametrize(
    "text",
    [
        "read https://example.com/story.",
        "read https://example.com/story, then",
        "read https://example.com/story; ok",
        "(https://example.com/story)",
        "read https://example.com/story!?",
        "«https://example.com/story»",
        '"https://example.com/story"',
        "[link](https://example.com/story)",
        "https://example.com/story:",
    ],
)
def test_trailing_punctuation(text: str) -> None:
    assert find_links(text) == ["https://example.com/story"]


def test_balanced_brackets_stay() -> None:
    url = "https://en.wikipedia.org/wiki/Sputnik_(disambiguation)"
    assert find_links(f"see {url}.") == [url]


def test_cyrillic_domain_and_path() -> None:
    links = find_links("Вот: https://пример.рф/статья?id=1&utm_campaign=x, читайте!")
    assert links == ["https://xn--e1afmkfd.xn--p1ai/%D1%81%D1%82%D0%B0%D1%82%D1%8C%D1%8F?id=1"]
    # the percent-encoded spelling of the same page is the same cache entry
    encoded = "https://XN--E1AFMKFD.xn--p1ai/%d1%81%d1%82%d0%b0%d1%82%d1%8c%d1%8f?id=1#top"
    assert canonicalize_url(encoded) == links[0]


def test_duplicates_and_limit() -> None:
    text = (
        "https://a.example/1 https://a.example/1?fbclid=abc https://A.example:443/1 "
        "http://b.example:80/ https://c.example/x https://d.example/y"
    )
    assert find_links(text) == ["https://a.example/1", "http://b.example/", "https://c.example/x"]
    assert find_links(text, limit=1) == ["https://a.example/1"]
    assert find_links(text, limit=10)[-1] == "https://d.example/y"
    assert find_links(text, limit=0) == []


def test_non_http_ignored() -> None:
    text = "ftp://files.example/x mailto:a@b.c javascript:alert(1) <slack://channel?id=1> file:///etc/passwd"
    assert find_links(text) == []


def test_tracking_params_dropped_others_kept() -> None:
    url = "https://news.example/a?b=2&utm_source=tw&gclid=1&yclid=2&ref_src=twsrc&a=1&UTM_Medium=x"
    assert canonicalize_url(url) == "https://news.example/a?b=2&a=1"


def test_keeps_non_default_port_and_drops_userinfo() -> None:
    assert canonicalize_url("http://user:pw@Example.COM:8080") == "http://example.com:8080/"


@pytest.mark.parametrize(
    "bad",
    ["ftp://x.example/", "not a url", "https://", "http://exa mple.com/", "http://[::1/", "https://x.example:99999/"],
)
def test_canonicalize_rejects_garbage(bad: str) -> None:
    with pytest.raises(ValueError):
        canonicalize_url(bad)


def test_ipv6_literal_kept() -> None:
    assert canonicalize_url("http://[2001:DB8::1]:8080/x") == "http://[2001:db8::1]:8080/x"
