"""The chart of narratives over the weeks, drawn with matplotlib's Agg backend into PNG bytes."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.history import AlertRecord
from bot.render.i18n import word
from matchers import Lang

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# 1200×600 pixels: legible in a Slack or Discord preview and in a report.
WIDTH_IN, HEIGHT_IN, DPI = 12.0, 6.0, 100
MAX_SERIES = 8  # narratives drawn by name; the rest are summed as "other"
OTHER = "other"  # the series of those, named in the chart's language


@dataclass(frozen=True)
class WeeklyCounts:
    """Alerts per narrative per week: `weeks` are the Mondays (UTC dates) the columns start on."""

    weeks: tuple[dt.date, ...]
    series: dict[str, tuple[int, ...]]


def _monday(when: float) -> dt.date:
    day = dt.datetime.fromtimestamp(when, dt.UTC).date()
    return day - dt.timedelta(days=day.weekday())


def weekly_counts(alerts: Sequence[AlertRecord], *, now: float, weeks: int) -> WeeklyCounts:
    """Count alerts into the `weeks` weeks that end with the one holding `now`; older alerts are left out."""
    last = _monday(now)
    starts = tuple(last - dt.timedelta(weeks=weeks - 1 - i) for i in range(weeks))
    index = {start: i for i, start in enumerate(starts)}
    counts: dict[str, list[int]] = {}
    for alert in alerts:
        column = index.get(_monday(alert.created_at))
        if column is None:
            continue
        counts.setdefault(alert.narrative_id, [0] * weeks)[column] += 1
    ranked = sorted(counts, key=lambda nid: (-sum(counts[nid]), nid))
    series = {nid: tuple(counts[nid]) for nid in ranked[:MAX_SERIES]}
    if len(ranked) > MAX_SERIES:
        rest = [sum(counts[nid][i] for nid in ranked[MAX_SERIES:]) for i in range(weeks)]
        series[OTHER] = tuple(rest)
    return WeeklyCounts(starts, series)


def week_labels(weeks: Sequence[dt.date], lang: Lang = "en") -> list[str]:
    """The bars' labels: "02 Nov" in English, "02.11" in Ukrainian and Russian (month names from strftime are the
    C locale's English ones)."""
    return [start.strftime("%d %b" if lang == "en" else "%d.%m") for start in weeks]


def weekly_chart_figure(data: WeeklyCounts, lang: Lang = "en", *, title: str | None = None) -> Figure:
    """The stacked bar chart, one bar per week, one colour per narrative, its words in `lang`."""
    import matplotlib

    matplotlib.use("Agg")  # no display: the bot runs headless
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    axes = figure.add_subplot()
    labels = week_labels(data.weeks, lang)
    positions = list(range(len(labels)))
    bottom = [0] * len(labels)
    for narrative_id, counts in data.series.items():
        label = word("chart_other", lang) if narrative_id == OTHER else narrative_id
        axes.bar(positions, counts, bottom=bottom, label=label)
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    axes.set_xticks(positions, labels)
    axes.set_xlabel(word("chart_week_axis", lang))
    axes.set_ylabel(word("chart_alerts_axis", lang))
    axes.set_title(word("chart_title", lang) if title is None else title)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))  # alerts come whole
    if data.series:
        axes.legend(loc="upper left", fontsize="small")
    else:
        axes.text(0.5, 0.5, word("chart_empty", lang), ha="center", va="center", transform=axes.transAxes)
    return figure


def weekly_chart_png(data: WeeklyCounts, lang: Lang = "en", *, title: str | None = None) -> bytes:
    """The chart as PNG bytes; always 1200×600 pixels."""
    buffer = io.BytesIO()
    # No bbox_inches="tight": it would change the pixel size with the labels' lengths.
    weekly_chart_figure(data, lang, title=title).savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()
