"""Fetch + extract of realistic fixture pages served from loopback."""

from __future__ import annotations

import types

import pytest

from bot.extract import extract_article
from bot.fetch import FetchedPage, FetchError, SafeFetcher
from tests.fetch.loopback import LoopbackServer, fixture_bytes, loopback_settings


async def _read(server: LoopbackServer, name: str, content_type: str) -> FetchedPage:
    server.serve("/" + name, fixture_bytes(name), content_type=content_type)
    async with SafeFetcher(loopback_settings(server)) as fetcher:
        return await fetcher.fetch(server.url("/" + name))


@pytest.mark.asyncio
async def test_russian_news_page(server: LoopbackServer) -> None:
    article = extract_article(await _read(server, "ru_news.html", "text/html; charset=utf-8"))
    assert article.title == "Западные политики впали в истерику из-за встречи Путина и Ким Чен Ына"
    assert article.site == "Вечерний Вестник"
    assert article.published == "2024-06-19"
    assert "Западные политики впали в истерику из-за встречи Путина и Ким Чен Ына" in article.text
    assert "договор о всеобъемлющем стратегическом партнёрстве" in article.text
    # menus, ads and comments stay out
    for noise in ("Купите наши курсы", "Отличная статья", "лучший кредит", "Курс рубля", "Экономика"):
        assert noise not in article.text


@pytest.mark.asyncio
async def test_english_news_page(server: LoopbackServer) -> None:
    article = extract_article(await _read(server, "en_news.html", "text/html"))
    assert article.title == "Grain deal talks stall as ministers trade blame"
    assert article.site == "The Harbour Times"
    assert article.published == "2024-03-05"
    assert "Black Sea shipping corridor" in article.text
    for noise in ("cookies", "Refinance", "Typical politicians", "Ten gadgets"):
        assert noise not in article.text


@pytest.mark.asyncio
async def test_windows_1251_page(server: LoopbackServer) -> None:
    article = extract_article(await _read(server, "ru_cp1251.html", "text/html"))
    assert article.title == "Губернатор открыл новую школу в Саратове"
    assert article.site == "Губернские ведомости"
    assert "планетарий" in article.text
    assert "окна ПВХ" not in article.text


@pytest.mark.asyncio
async def test_koi8r_page(server: LoopbackServer) -> None:
    article = extract_article(await _read(server, "ru_koi8r.html", "text/html; charset=koi8-r"))
    assert article.title == "Морозы вернутся в Сибирь на следующей неделе"
    assert article.site == "Сибирский курьер"
    assert "Коммунальные службы" in article.text


def _page(body: str, content_type: str = "text/html", url: str = "https://site.example/a") -> FetchedPage:
    return FetchedPage(url, 200, content_type, body.encode(), body, types.MappingProxyType({}))


def test_plain_text_used_as_is() -> None:
    text = "Заявление пресс-службы\n\nВстреча состоится в четверг в здании правительства, начало в 10:00."
    article = extract_article(_page(text, "text/plain"))
    assert article.text == "Заявление пресс-службы\nВстреча состоится в четверг в здании правительства, начало в 10:00."
    assert article.title == "Заявление пресс-службы"
    assert article.site == "site.example"


def test_fallback_uses_title_and_description() -> None:
    html = (
        "<html><head><title>Короткая заметка</title>"
        '<meta property="og:description" content="Власти города объявили о закрытии моста на ремонт до осени.">'
        "</head><body><div>—</div></body></html>"
    )
    article = extract_article(_page(html))
    assert "закрытии моста" in article.text
    assert article.title == "Короткая заметка"


@pytest.mark.parametrize(
    "html",
    [
        "<html><head><title>x</title></head><body><nav>Home</nav></body></html>",
        "",
        "<html><body><script>var a = 1;</script></body></html>",
        "\x00\x01\x02 binary junk",
    ],
)
def test_no_text_is_not_article(html: str) -> None:
    with pytest.raises(FetchError) as info:
        extract_article(_page(html))
    assert info.value.code == "not_article"
    assert info.value.user_message == "I can't read that link: I found no article text on that page."
