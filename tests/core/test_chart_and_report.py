"""The weekly chart (a real PNG of the expected size), the report's figures and the history commands' errors."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from bot.chart import MAX_SERIES, weekly_chart_figure, weekly_chart_png, weekly_counts
from bot.digest import Digest
from bot.history import AlertHistory, PostedCard
from bot.models import ArticleRef, FeedRef, Finding, Verdict
from bot.report import SinceError, build_report, format_report, parse_since
from bot.store import Store

MONDAY = dt.datetime(2026, 11, 23, 12, tzinfo=dt.UTC).timestamp()
DAY = 86400.0


def _card(store: Store, when: float, ref: str, narrative_id: str, *, channel: str = "C1", feed: bool = False) -> None:
    store.clock = lambda: when
    finding = Finding(narrative_id, narrative_id, 60, "alert", "evidence", "", "debunk")
    article = ArticleRef(url=f"https://www.site-{narrative_id[0]}.example/{ref}") if not feed else None
    verdict = Verdict((finding,), article=article, feed=FeedRef("https://wire.example/rss") if feed else None)
    AlertHistory(store).record(PostedCard("slack", channel, ref, [verdict], "feed" if feed else "message"))


def test_weekly_counts_put_alerts_in_their_weeks(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite3")
    _card(store, MONDAY - 7 * DAY, "a", "west-in-panic")  # the week before
    _card(store, MONDAY, "b", "west-in-panic")
    _card(store, MONDAY + 6 * DAY, "c", "troops-denial")  # Sunday: still that week
    _card(store, MONDAY - 70 * DAY, "d", "troops-denial")  # outside the four weeks
    counts = weekly_counts(AlertHistory(store).alerts(), now=MONDAY + 6 * DAY, weeks=4)
    assert [d.isoformat() for d in counts.weeks] == ["2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23"]
    assert counts.series == {"west-in-panic": (0, 0, 1, 1), "troops-denial": (0, 0, 0, 1)}


def test_many_narratives_fold_into_other(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite3")
    for i in range(MAX_SERIES + 2):
        _card(store, MONDAY, f"m{i}", f"narrative-{i:02d}")
    counts = weekly_counts(AlertHistory(store).alerts(), now=MONDAY, weeks=2)
    assert len(counts.series) == MAX_SERIES + 1 and counts.series["other"] == (0, 2)


@pytest.mark.parametrize("with_alerts", [True, False])
def test_chart_is_a_valid_png_of_1200_by_600(tmp_path: Path, with_alerts: bool) -> None:
    store = Store(tmp_path / "s.sqlite3")
    if with_alerts:
        _card(store, MONDAY, "a", "west-in-panic")
        _card(store, MONDAY - 7 * DAY, "b", "troops-denial")
    png = weekly_chart_png(weekly_counts(AlertHistory(store).alerts(), now=MONDAY, weeks=8))
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (1200, 600)
    image.verify()  # raises on a truncated or corrupt file
    pixels = Image.open(io.BytesIO(png)).convert("RGB")
    colours = pixels.getcolors(maxcolors=1_000_000) or []
    assert len(colours) > 10  # drawn, not a blank canvas


@pytest.mark.parametrize(("lang", "words"), [
    ("en", ("Known narratives flagged per week", "week starting (UTC)", "alerts", "other", "16 Nov", "23 Nov")),
    ("uk", ("Відомі наративи, виявлені за тижнями", "початок тижня (UTC)", "сповіщення", "інші", "16.11", "23.11")),
    ("ru", ("Известные нарративы, найденные по неделям", "начало недели (UTC)", "оповещения", "другие", "16.11",
            "23.11")),
])  # fmt: skip
def test_the_chart_speaks_the_digests_language(tmp_path: Path, lang: str, words: tuple[str, ...]) -> None:
    store = Store(tmp_path / "s.sqlite3")
    for i in range(MAX_SERIES + 1):  # one more than is drawn by name: an "other" series
        _card(store, MONDAY, f"m{i}", f"narrative-{i:02d}")
    figure = weekly_chart_figure(weekly_counts(AlertHistory(store).alerts(), now=MONDAY, weeks=2), lang)  # type: ignore[arg-type]
    (axes,) = figure.axes
    title, x_axis, y_axis, other, *weeks = words
    assert (axes.get_title(), axes.get_xlabel(), axes.get_ylabel()) == (title, x_axis, y_axis)
    assert [t.get_text() for t in axes.get_xticklabels()] == weeks
    legend = axes.get_legend()
    assert legend is not None and legend.get_texts()[-1].get_text() == other


@pytest.mark.parametrize("lang", ["uk", "ru"])
def test_an_empty_chart_says_so_in_the_digests_language(lang: str) -> None:
    (axes,) = weekly_chart_figure(weekly_counts([], now=MONDAY, weeks=2), lang).axes  # type: ignore[arg-type]
    (note,) = axes.texts
    assert note.get_text() == {"uk": "за ці тижні сповіщень немає", "ru": "за эти недели оповещений нет"}[lang]


def test_the_digest_file_is_titled_in_the_digests_language() -> None:
    english = Digest("slack", "C1", "2026-W48", "text", b"png")
    assert english.upload_title == "Known narratives per week (2026-W48)"
    assert english.chart_alt == "Bar chart of known narratives flagged per week"
    ukrainian = Digest("slack", "C1", "2026-W48", "text", b"png", lang="uk")
    assert ukrainian.upload_title == "Відомі наративи за тижнями (2026-W48)"
    assert ukrainian.chart_alt == "Стовпчикова діаграма відомих наративів, виявлених за тижнями"
    russian = Digest("discord", "1", "2026-W48", "text", b"png", lang="ru")
    assert russian.upload_title == "Известные нарративы по неделям (2026-W48)"
    assert russian.chart_alt == "Столбчатая диаграмма известных нарративов, найденных по неделям"


def test_report_counts_and_failing_feeds(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite3")
    _card(store, MONDAY, "a", "west-in-panic")
    _card(store, MONDAY + 1 * DAY, "b", "west-in-panic", channel="C2")
    _card(store, MONDAY + 1 * DAY, "c", "troops-denial", feed=True)
    _card(store, MONDAY - 30 * DAY, "old", "troops-denial")
    store.record_feedback("slack", "C1", "a", "west-in-panic", "u1", "wrong")
    store.record_feedback("slack", "C2", "b", "west-in-panic", "u1", "correct")
    with store.transaction() as db:
        db.execute("INSERT INTO feeds (url, failures, last_error, created_at) VALUES ('https://bad.example/rss', 4, "
                   "'HTTP 503', 0)")
        db.execute("INSERT INTO feeds (url, failures, created_at) VALUES ('https://good.example/rss', 0, 0)")
    report = build_report(store, since=MONDAY - DAY, until=MONDAY + 2 * DAY)
    assert report.total == 3
    assert report.by_narrative == [("west-in-panic", "west-in-panic", 2), ("troops-denial", "troops-denial", 1)]
    assert report.by_site == [("site-w.example", 2), ("wire.example", 1)]  # www. dropped; a feed item without link
    assert report.by_channel == [("slack:C1", 2), ("slack:C2", 1)]
    assert report.by_day == [("2026-11-23", 1), ("2026-11-24", 2)]
    (panic,) = report.feedback
    assert (panic.narrative_id, panic.correct, panic.wrong, panic.share_wrong) == ("west-in-panic", 1, 1, 0.5)
    assert [f.url for f in report.failing_feeds] == ["https://bad.example/rss"]
    text = format_report(report)
    assert "https://bad.example/rss — 4 failures in a row: HTTP 503" in text and "50% wrong" in text
    only_c2 = build_report(store, since=None, until=MONDAY + 2 * DAY, channel="slack:C2")
    assert only_c2.total == 1 and only_c2.failing_feeds == []


def test_since_accepts_durations_dates_and_all() -> None:
    now = MONDAY
    assert parse_since("7d", now) == now - 7 * DAY
    assert parse_since("12h", now) == now - 12 * 3600
    assert parse_since("2w", now) == now - 14 * DAY
    assert parse_since("all", now) is None
    assert parse_since("2026-11-01", now) == dt.datetime(2026, 11, 1, tzinfo=dt.UTC).timestamp()
    with pytest.raises(SinceError, match="expected a duration"):
        parse_since("last week", now)


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NARRATIVE_BOT_DB": str(tmp_path / "cli.sqlite3"), "NARRATIVE_BOT_SEMANTIC": "off"}
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=120)


def test_cli_refuses_bad_input_with_one_clear_line(tmp_path: Path) -> None:
    bad_since = _cli(tmp_path, "report", "--since", "yesterday")
    assert bad_since.returncode == 2 and "--since 'yesterday'" in bad_since.stderr
    (tmp_path / "not-export.yaml").write_text("feeds: []\n", encoding="utf-8")
    not_export = _cli(tmp_path, "eval", "not-export.yaml", "--lexical")
    assert not_export.returncode == 2 and "not a feedback export" in not_export.stderr
    (tmp_path / "broken.yaml").write_text(
        "format: narrative-bot-feedback/1\nnarratives:\n  x:\n    examples: [{lang: en}]\n", encoding="utf-8"
    )
    broken = _cli(tmp_path, "eval", "broken.yaml", "--lexical")
    assert broken.returncode == 2 and "narratives.x.examples[1]" in broken.stderr
    empty = _cli(tmp_path, "feedback", "list")
    assert empty.returncode == 0 and "No feedback yet" in empty.stdout
    report = _cli(tmp_path, "report", "--json")
    assert report.returncode == 0 and json.loads(report.stdout)["alerts"] == 0
    unwritable = _cli(tmp_path, "feedback", "export", "--out", str(tmp_path / "missing-dir" / "x.yaml"))
    assert unwritable.returncode == 2 and "cannot write" in unwritable.stderr
