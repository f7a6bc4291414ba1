"""The date parser's warm-up: after it, reading a page builds none of dateparser's per-locale tables.

Run in a fresh interpreter: the tables are global to a process, and other tests in this one have built them.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    from dateparser.languages.dictionary import Dictionary

    from bot.extract import extract_article, warm_up
    from bot.fetch import FetchedPage

    def tables() -> int:
        return sum(len(locales) for locales in Dictionary._split_regex_cache.values())

    # a short line with a month and a year, as a cut-off last sentence often is, sends htmldate to dateparser
    html = (
        "<html><head><title>Сводка</title></head><body><article><h1>Сводка</h1>"
        + "<p>Местные жители отмечают, что ремонт дорог и школ в городе продлится до осени.</p>" * 3
        + "<p>В мае 2024 года ведомство признало (1.2),</p></article></body></html>"
    )
    page = FetchedPage("https://example.org/news/7", 200, "text/html", html.encode(), html, {})
    before = tables()
    if WARM:
        warm_up()
    warmed = tables()
    article = extract_article(page)
    print(before, warmed, tables(), "ремонт дорог" in article.text)
    """
)


def _tables(warm: bool) -> tuple[int, int, int, bool]:
    script = f"WARM = {warm}\n{SCRIPT}"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.split()
    return int(out[0]), int(out[1]), int(out[2]), out[3] == "True"


def test_without_the_warm_up_the_first_page_builds_the_date_tables() -> None:
    before, _, after, read = _tables(warm=False)
    assert before == 0 and after > 10 and read  # the cost the warm-up moves off the first reply


def test_warm_up_builds_the_date_tables_a_first_page_would_need() -> None:
    before, warmed, after, read = _tables(warm=True)
    assert before == 0 and warmed > 10  # a fresh process has none; the warm-up builds many locales' tables
    assert after == warmed and read  # the first real page needed no table the warm-up had not built
