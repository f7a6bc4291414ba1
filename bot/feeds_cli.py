"""`narrative-bot feeds ...`: subscriptions and polling from the command line."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.config import Settings, load_settings

if TYPE_CHECKING:
    from bot.feed_store import FeedState
    from bot.feeds import PollResult
    from bot.models import FeedCheck


def _settings() -> Settings:
    return load_settings(dotenv=Path(".env"))


def _target(args: argparse.Namespace, settings: Settings) -> tuple[str, str] | None:
    platform = args.platform or settings.platform()
    channel = args.channel or ("console" if platform == "console" else None)
    if channel is None:
        print(f"narrative-bot feeds: --channel is required for {platform}", file=sys.stderr)
        return None
    return platform, channel


def cmd_add(args: argparse.Namespace) -> int:
    from bot.links import canonical_feed_url
    from bot.store import Store

    settings = _settings()
    target = _target(args, settings)
    url = canonical_feed_url(args.url)
    if url is None:
        print(f"narrative-bot feeds: {args.url!r} is not an http(s) URL", file=sys.stderr)
        return 2
    if target is None:
        return 2
    if not args.no_check:
        check = asyncio.run(_try_feed(settings, url))
        if check.problem is not None:
            print(f"narrative-bot feeds: I can't watch {url}: {check.problem}", file=sys.stderr)
            if check.hint:
                print(f"  Hint: {check.hint}.", file=sys.stderr)
            return 3  # as `check` does for a link it cannot read
    store = Store(settings.database)
    try:
        added = store.add_subscription(*target, url, created_by="cli", tenant=args.tenant or "")
    finally:
        store.close()
    where = "/".join(p for p in (target[0], args.tenant, target[1]) if p)
    print(f"{'Watching' if added else 'Already watching'} {url} in {where}")
    return 0


async def _try_feed(settings: Settings, url: str) -> FeedCheck:
    # The same trial as `/narrative feeds add`: a feed that can never be read is refused now, not after ten polls.
    from bot.app import build_fetcher
    from bot.feed_probe import FeedProbe

    fetcher = build_fetcher(settings)
    try:
        return await FeedProbe(fetcher).check(url)
    finally:
        await fetcher.aclose()


def cmd_remove(args: argparse.Namespace) -> int:
    from bot.links import canonical_feed_url
    from bot.store import Store

    settings = _settings()
    url = canonical_feed_url(args.url) or args.url
    store = Store(settings.database)
    try:
        platforms = [args.platform] if args.platform else sorted({s.platform for s in store.subscriptions()})
        removed = sum(store.remove_subscription(p, args.channel, url, tenant=args.tenant) for p in platforms)
    finally:
        store.close()
    if not removed:
        print(f"narrative-bot feeds: no subscription to {url}", file=sys.stderr)
        return 1
    print(f"Stopped watching {url} ({removed} subscription{'s' if removed != 1 else ''})")
    return 0


def _status(state: FeedState | None) -> dict[str, Any]:
    if state is None:
        return {"status": "not polled yet"}
    status = "disabled" if state.disabled else ("failing" if state.failures else "ok")
    if state.last_poll_at is None:
        status = "not polled yet"
    return {
        "status": status,
        "title": state.title,
        "last_poll_at": state.last_poll_at,
        "last_ok_at": state.last_ok_at,
        "failures": state.failures,
        "last_error": state.last_error,
    }


def cmd_list(args: argparse.Namespace) -> int:
    from bot.feed_store import FeedStore
    from bot.store import Store

    settings = _settings()
    store = Store(settings.database)
    try:
        feeds = FeedStore(store)
        subs = store.subscriptions(args.platform, args.channel, tenant=args.tenant)
        rows = [
            {"url": s.feed_url, "platform": s.platform, "tenant": s.tenant, "channel": s.channel_id,
             **_status(feeds.state(s.feed_url))}
            for s in subs
        ]
    finally:
        store.close()
    for row in rows:
        if args.json:
            print(json.dumps(row, ensure_ascii=False))
        else:
            extra = f" ({row['failures']} failures: {row['last_error']})" if row.get("failures") else ""
            where = "/".join(p for p in (row["platform"], row["tenant"], row["channel"]) if p)
            print(f"{where}  {row['url']}  [{row['status']}]{extra}")
    if not rows and not args.json:
        print("No feed subscriptions.")
    return 0


def _result_lines(result: PollResult) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    for alert in result.alerts:
        verdict = alert.verdict
        article = verdict.article
        lines.append(
            {
                "feed": result.url,
                "feed_title": verdict.feed.title if verdict.feed else None,
                "link": article.url if article else None,
                "title": article.title if article else None,
                "narrative": verdict.top.narrative_id,
                "score": verdict.top.score,
                "platform": alert.platform,
                "channel": alert.channel_id,
                "alert_id": alert.alert_id,
            }
        )
    lines.extend(
        {"feed": result.url, "notice": n.text, "platform": n.platform, "channel": n.channel_id}
        for n in result.notices
    )
    if result.error:
        lines.append({"feed": result.url, "error": result.error})
    return lines


def _print_results(results: list[PollResult], as_json: bool) -> None:
    for result in results:
        for line in _result_lines(result):
            if as_json:
                print(json.dumps(line, ensure_ascii=False), flush=True)
            elif "error" in line:
                print(f"{line['feed']}: {line['error']}", file=sys.stderr)
            elif "notice" in line:
                print(f"[{line['platform']}/{line['channel']}] {line['notice']}")
            else:
                print(f"[{line['platform']}/{line['channel']}] {line['narrative']} ({line['score']}): "
                      f"{line['title'] or ''} {line['link'] or ''}".rstrip())
    if not as_json:
        polled = len(results)
        print(f"{polled} feed{'s' if polled != 1 else ''} polled.", file=sys.stderr)


def cmd_poll(args: argparse.Namespace) -> int:
    """Poll due feeds and print what they produced; the alerts stay pending for the chat bot to post."""
    from bot.app import build_app

    settings = _settings()
    if not args.once:
        print("narrative-bot feeds poll: use --once (the running bot polls continuously)", file=sys.stderr)
        return 2

    async def main() -> int:
        async with build_app(settings) as app:
            results = await app.feed_poller.poll_once(force=args.force)
        _print_results(results, args.json)
        return 1 if results and all(r.error for r in results) else 0

    return asyncio.run(main())


def add_feeds_parser(sub: Any) -> None:
    feeds = sub.add_parser("feeds", help="manage feed subscriptions and poll feeds")
    feeds_sub = feeds.add_subparsers(dest="action", required=True)

    def target_options(parser: argparse.ArgumentParser, channel_help: str) -> None:
        parser.add_argument("--platform", choices=["slack", "discord", "console"],
                            help="platform of the channel (default: the configured one)")
        parser.add_argument("--channel", metavar="ID", help=channel_help)
        parser.add_argument("--tenant", metavar="ID", default=None,
                            help="the Slack team or Discord server id of the channel, with several workspaces "
                                 "(default for add: none; for remove and list: every one)")

    add = feeds_sub.add_parser("add", help="watch an RSS/Atom feed or a Telegram channel in a channel")
    add.add_argument("url")
    target_options(add, "channel id to post to (default: console)")
    add.add_argument("--no-check", action="store_true",
                     help="subscribe without reading the feed first (it is read once by default, and refused "
                          "when it cannot be read)")
    add.set_defaults(func=cmd_add)

    remove = feeds_sub.add_parser("remove", help="stop watching a feed")
    remove.add_argument("url")
    target_options(remove, "only this channel (default: every channel)")
    remove.set_defaults(func=cmd_remove)

    lst = feeds_sub.add_parser("list", help="subscriptions with feed status")
    target_options(lst, "only this channel")
    lst.add_argument("--json", action="store_true", help="print JSON lines")
    lst.set_defaults(func=cmd_list)

    poll = feeds_sub.add_parser("poll", help="poll due feeds and print new alerts")
    poll.add_argument("--once", action="store_true", help="poll every due feed once, then exit")
    poll.add_argument("--force", action="store_true", help="ignore schedules and backoff")
    poll.add_argument("--json", action="store_true", help="print JSON lines (feed, link, title, narrative, score)")
    poll.set_defaults(func=cmd_poll)
