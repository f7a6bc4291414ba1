"""Feed bytes into items: RSS, Atom, Telegram previews, HTML stripping, stable dedup keys, malformed input."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.feed_parse import FeedItem, FeedParseError, html_to_text, parse_feed, parse_telegram
from tests.feeds.helpers import FIXTURES, Item, rss

URL = "https://vesti.example/rss"


def test_rss_items_titles_text_links_dates_and_ttl() -> None:
    feed = parse_feed((FIXTURES / "rss_basic.xml").read_bytes(), url=URL, headers={"Content-Type": "application/rss+xml"})
    assert feed.title == "Вести Тест"
    assert feed.ttl_s == 30 * 60
    first, no_guid, title_only = feed.items
    assert first.guid == "vesti-1001"
    assert first.title == 'Путин и Ким: "новая эпоха"'
    # Relative link resolved against the feed's address; tracking parameter dropped.
    assert first.link == "https://vesti.example/news/2024/06/19/putin-kim.html?id=7"
    # HTML stripped, script dropped, entities decoded, one line per paragraph.
    assert first.text == "Лидеры подписали договор.\nВторой абзац текста."
    assert first.published == "2024-06-19T07:00:00+00:00"
    assert no_guid.guid is None and no_guid.link == "https://vesti.example/news/no-guid"
    assert title_only.link is None and title_only.text == ""


def test_atom_prefers_full_content_over_summary() -> None:
    feed = parse_feed((FIXTURES / "atom_basic.xml").read_bytes(), url="https://atom.example/feed")
    (entry,) = feed.items
    assert entry.title == "Summit in Pyongyang"
    assert entry.text == "The full text of the article, much longer than the summary."
    assert entry.link == "https://atom.example/summit"


@pytest.mark.parametrize("name", ["not_a_feed.html", "garbage.xml"])
def test_not_a_feed_is_an_error(name: str) -> None:
    with pytest.raises(FeedParseError) as info:
        parse_feed((FIXTURES / name).read_bytes(), url=URL)
    assert info.value.code == "malformed_feed"
    assert "RSS or Atom" in info.value.user_message


def test_parse_feed_never_opens_paths(tmp_path: object) -> None:
    # Handed as bytes, a path is just text: feedparser must not read the file it names.
    with pytest.raises(FeedParseError):
        parse_feed(b"/etc/passwd", url=URL)


def test_stable_id_prefers_guid_then_link_then_title_and_date() -> None:
    with_guid = FeedItem(guid="g1", link="https://a.example/1", title="T", text="")
    moved = FeedItem(guid="g1", link="https://a.example/other", title="T2", text="")
    assert with_guid.item_id == moved.item_id
    by_link = FeedItem(guid=None, link="https://a.example/1", title="T", text="")
    assert by_link.item_id == FeedItem(guid=None, link="https://a.example/1", title="X", text="").item_id
    dated = FeedItem(guid=None, link=None, title="T", text="", published="2024-06-19T07:00:00+00:00")
    assert dated.item_id != FeedItem(guid=None, link=None, title="T", text="", published=None).item_id


def test_dedup_keys_cover_link_and_normalised_title_with_text() -> None:
    item = FeedItem(guid="g1", link="https://a.example/1", title="  Putin  and KIM ", text="Same  text")
    renamed = FeedItem(guid="g2", link="https://a.example/2", title="putin and kim", text="same text")
    kinds = dict(item.dedup_keys())
    assert set(kinds) == {"id", "link", "content"}
    assert kinds["content"] == dict(renamed.dedup_keys())["content"]
    assert kinds["id"] != dict(renamed.dedup_keys())["id"]


def test_items_whose_guid_link_and_text_differ_share_no_key() -> None:
    # Issue 11, item 4: a wire that titles every item "Новости" lost all but the first, forever.
    items = [
        FeedItem(guid=f"g{i}", link=f"https://a.example/{i}", title="Новости", text=text)
        for i, text in enumerate(["Первый текст.", "Второй текст.", ""])
    ]
    items.append(FeedItem(guid="g9", link="https://a.example/9", title="Новости", text=""))
    # Nor when guid and link are missing: the id falls back to title and date, and then the text decides.
    items += [FeedItem(guid=None, link=None, title="Новости", text=t) for t in ("Третий текст.", "Четвёртый.")]
    for i, a in enumerate(items):
        for b in items[i + 1 :]:
            assert not set(a.dedup_keys()) & set(b.dedup_keys()), (a, b)


def test_same_items_parse_to_same_ids_across_polls() -> None:
    body = rss([Item("a", "One", "first"), Item(None, "Two", "second", link="https://w.example/2")])
    again = rss([Item(None, "Zero", "new"), Item("a", "One", "first"), Item(None, "Two", "second", "https://w.example/2")])
    ids = {i.item_id for i in parse_feed(body, url=URL).items}
    assert ids <= {i.item_id for i in parse_feed(again, url=URL).items}


def test_html_to_text() -> None:
    assert html_to_text("plain & simple") == "plain & simple"
    assert html_to_text("<p>a&amp;b</p><style>p{}</style><ul><li>x</li><li>y</li></ul>") == "a&b\nx\ny"
    assert html_to_text("<p>unclosed <b>bold") == "unclosed bold"


@given(st.text(max_size=300))
def test_html_to_text_never_raises(markup: str) -> None:
    assert isinstance(html_to_text(markup), str)


def test_telegram_channel_preview_yields_its_posts() -> None:
    page = (Path(__file__).parent.parent / "fetch" / "fixtures" / "tg_channel.html").read_text(encoding="utf-8")
    feed = parse_telegram(page, url="https://t.me/s/voenkor_daily")
    assert feed.title == "Военкор Daily"
    assert [i.link for i in feed.items] == [
        "https://t.me/voenkor_daily/4819",
        "https://t.me/voenkor_daily/4820",
        "https://t.me/voenkor_daily/4821",
    ]
    morning, photo, urgent = feed.items
    assert morning.text == "Доброе утро! Сводка за ночь будет через час."
    assert photo.text == ""  # photo-only post: kept so it is marked seen
    assert "истерику" in urgent.text
    assert urgent.published is not None and urgent.published.startswith("2024-06-19T09:12:44")
    assert len({i.item_id for i in feed.items}) == 3


def test_telegram_channel_without_preview_is_reported() -> None:
    plain = "<html><head><meta property='og:title' content='Closed'></head><body>Channel</body></html>"
    with pytest.raises(FeedParseError, match="does not allow previews"):
        parse_telegram(plain, url="https://t.me/s/closed_channel", final_url="https://t.me/closed_channel")
