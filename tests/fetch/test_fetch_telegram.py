"""Telegram URL routing and parsing of embed / channel preview pages."""

from __future__ import annotations

import pytest

from bot.fetch import FetchError
from bot.telegram import (
    parse_telegram_channel,
    parse_telegram_embed,
    telegram_channel_preview_url,
    telegram_embed_url,
)
from tests.fetch.loopback import fixture_bytes


@pytest.mark.parametrize(
    "url",
    [
        "https://t.me/voenkor_daily/4821",
        "https://t.me/s/voenkor_daily/4821",
        "http://telegram.me/voenkor_daily/4821",
        "https://T.ME/voenkor_daily/4821?single",
    ],
)
def test_embed_url(url: str) -> None:
    assert telegram_embed_url(url) == "https://t.me/voenkor_daily/4821?embed=1"


@pytest.mark.parametrize(
    "url",
    [
        "https://t.me/voenkor_daily",
        "https://t.me/c/1234567/89",
        "https://t.me/joinchat/AAAA",
        "https://t.me/+AbCdEf",
        "https://example.com/voenkor_daily/4821",
        "https://t.me/voenkor_daily/abc",
    ],
)
def test_not_a_post(url: str) -> None:
    assert telegram_embed_url(url) is None


def test_channel_preview_url() -> None:
    assert telegram_channel_preview_url("https://t.me/voenkor_daily") == "https://t.me/s/voenkor_daily"
    assert telegram_channel_preview_url("https://t.me/s/voenkor_daily") == "https://t.me/s/voenkor_daily"
    assert telegram_channel_preview_url("https://t.me/voenkor_daily/4821") is None
    assert telegram_channel_preview_url("https://t.me/joinchat") is None


def test_embed_page_to_article() -> None:
    html = fixture_bytes("tg_post_embed.html").decode()
    article = parse_telegram_embed(html, "https://t.me/voenkor_daily/4821")
    assert article.title == "Военкор Daily"
    assert article.site == "Telegram"
    assert article.published == "2024-06-19T09:12:44+00:00"
    assert article.text.startswith("Срочно! Западные политики впали в истерику из-за встречи Путина и Ким Чен Ына.")
    assert "\nВ Пхеньяне подписан договор" in article.text  # <br> kept as a line break
    assert "48.3K" not in article.text


def test_embed_error_page_is_no_preview() -> None:
    html = fixture_bytes("tg_post_embed_error.html").decode()
    with pytest.raises(FetchError) as info:
        parse_telegram_embed(html, "https://t.me/closed_channel/77")
    assert info.value.code == "telegram_no_preview"
    assert "does not allow previews" in info.value.user_message


def test_channel_page_posts() -> None:
    html = fixture_bytes("tg_channel.html").decode()
    posts = parse_telegram_channel(html, "https://t.me/s/voenkor_daily")
    assert [p.post_id for p in posts] == [4819, 4820, 4821]
    first, photo, last = posts
    assert first.url == "https://t.me/voenkor_daily/4819"
    assert first.channel == "voenkor_daily"
    assert first.text == "Доброе утро! Сводка за ночь будет через час."
    assert first.published == "2024-06-19T05:01:10+00:00"
    assert first.author == "Военкор Daily"
    assert photo.text == ""
    assert photo.published == "2024-06-19T07:45:00+00:00"
    assert "Ким Чен Ына" in last.text


def test_channel_page_garbage() -> None:
    assert parse_telegram_channel("", "https://t.me/s/x") == []
    assert parse_telegram_channel("<html><body>Channel not found</body></html>", "https://t.me/s/x") == []
