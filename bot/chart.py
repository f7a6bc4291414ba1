"""The chart of narratives over the weeks, drawn with matplotlib's Agg backend into PNG bytes."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass

from bot.history import AlertRecord

# 1200×600 pixels: legible in a Slack or Discord preview and in a report.
WIDTH_IN, HEIGHT_IN, DPI = 12.0, 6.0, 100
MAX_SERIES = 8  # narratives drawn by name; the rest are summed as "other"


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
        series["other"] = tuple(rest)
    return WeeklyCounts(starts, series)


def weekly_chart_png(data: WeeklyCounts, title: str = "Known narratives flagged per week") -> bytes:
    """A stacked bar chart, one bar per week, one colour per narrative; always 1200×600 pixels."""
    import matplotlib

    matplotlib.use("Agg")  # no display: the bot runs headless
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    axes = figure.add_subplot()
    labels = [start.strftime("%d %b") for start in data.weeks]
    positions = list(range(len(labels)))
    bottom = [0] * len(labels)
    for narrative_id, counts in data.series.items():
        axes.bar(positions, counts, bottom=bottom, label=narrative_id)
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    axes.set_xticks(positions, labels)
    axes.set_xlabel("week starting (UTC)")
    axes.set_ylabel("alerts")
    axes.set_title(title)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))  # alerts come whole
    if data.series:
        axes.legend(loc="upper left", fontsize="small")
    else:
        axes.text(0.5, 0.5, "no alerts in these weeks", ha="center", va="center", transform=axes.transAxes)
    buffer = io.BytesIO()
    # No bbox_inches="tight": it would change the pixel size with the labels' lengths.
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()
