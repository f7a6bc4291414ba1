"""`narrative-bot report` and `narrative-bot feedback list|export`: the alert history from the command line."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import load_settings

if TYPE_CHECKING:
    from bot.store import Store


def _open_store() -> Store:
    from bot.store import Store

    return Store(load_settings(dotenv=Path(".env")).db_path)


def _since(value: str, now: float, command: str) -> tuple[bool, float | None]:
    from bot.report import SinceError, parse_since

    try:
        return True, parse_since(value, now)
    except SinceError as exc:
        print(f"narrative-bot {command}: {exc}", file=sys.stderr)
        return False, None


def cmd_report(args: argparse.Namespace) -> int:
    from bot.report import build_report, format_report

    now = time.time()
    ok, since = _since(args.since, now, "report")
    if not ok:
        return 2
    store = _open_store()
    try:
        report = build_report(store, since=since, until=now, channel=args.channel)
        if args.chart:
            from bot.chart import weekly_chart_png, weekly_counts
            from bot.history import AlertHistory

            alerts = AlertHistory(store).alerts(since=since, channel=args.channel)
            weeks = _chart_weeks(since, now)
            png = weekly_chart_png(weekly_counts(alerts, now=now, weeks=weeks))
    finally:
        store.close()
    if args.chart:
        try:
            Path(args.chart).write_bytes(png)
        except OSError as exc:
            print(f"narrative-bot report: cannot write {args.chart}: {exc.strerror or exc}", file=sys.stderr)
            return 2
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(format_report(report))
        if args.chart:
            print(f"\nChart of narratives by week written to {args.chart}")
    return 0


def _chart_weeks(since: float | None, now: float) -> int:
    """Weeks the chart spans: those of the period, at least 4 (a shorter chart says little), at most 52."""
    if since is None:
        return 12
    return max(4, min(52, int((now - since) // (7 * 86400)) + 1))


def cmd_feedback(args: argparse.Namespace) -> int:
    from bot.feedback_export import export_yaml, format_reviewed, reviewed
    from bot.history import AlertHistory

    now = time.time()
    ok, since = _since(args.since, now, "feedback")
    if not ok:
        return 2
    store = _open_store()
    try:
        status = getattr(args, "status", None)
        records = reviewed(AlertHistory(store), since=since, channel=args.channel, status=status)
    finally:
        store.close()
    if args.action == "list":
        if args.json:
            rows = [
                {
                    "status": r.status, "narrative": r.narrative_id, "score": r.score,
                    "channel": f"{r.platform}:{r.channel_id}",
                    "right": r.correct, "wrong": r.wrong, "reason": r.reason, "evidence": r.evidence,
                    "text": r.excerpt, "source": r.source_url, "message": r.permalink,
                    "alerted_at": dt.datetime.fromtimestamp(r.created_at, dt.UTC).isoformat(timespec="seconds"),
                }
                for r in records
            ]
            print(json.dumps(rows, ensure_ascii=False, indent=2))
        else:
            print(format_reviewed(records))
        return 0
    text = export_yaml(records, now=now, since=since)
    if args.out in (None, "-"):
        sys.stdout.write(text)
        return 0
    out = Path(args.out)
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"narrative-bot feedback: cannot write {out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    confirmed = sum(1 for r in records if r.status == "confirmed")
    print(
        f"Wrote {confirmed} confirmed and {len(records) - confirmed} disputed match"
        f"{'es' if len(records) - confirmed != 1 else ''} to {out} for review (the library is unchanged).",
        file=sys.stderr,
    )
    return 0


def add_history_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = sub.add_parser(
        "report", help="alerts per narrative, site, channel and day; feedback per narrative; failing feeds"
    )
    report.add_argument("--since", default="7d", help="7d, 12h, 2w, a date (2026-11-01) or all (default: 7d)")
    report.add_argument("--channel", help="one channel: C0123, or slack:C0123 to name the platform too")
    report.add_argument("--json", action="store_true", help="print JSON")
    report.add_argument("--chart", metavar="FILE.png", help="also draw the narratives by week as a PNG")
    report.set_defaults(func=cmd_report)

    feedback = sub.add_parser("feedback", help="matches marked right or wrong: list them, or export them for review")
    actions = feedback.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="disputed and confirmed matches with text, evidence and reason")
    export = actions.add_parser(
        "export", help="write candidate examples / non_examples / counter_examples as YAML (never edits the library)"
    )
    for parser in (listing, export):
        parser.add_argument("--since", default="all", help="7d, 12h, 2w, a date or all (default: all)")
        parser.add_argument("--channel", help="one channel: C0123, or slack:C0123")
    listing.add_argument("--status", choices=["disputed", "confirmed"], help="only these")
    listing.add_argument("--json", action="store_true", help="print JSON")
    export.add_argument("--out", metavar="FILE", help="write here instead of standard output")
    feedback.set_defaults(func=cmd_feedback)
