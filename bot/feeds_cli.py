"""`narrative-bot feeds ...`: subscriptions and polling from the command line."""

from __future__ import annotations

import argparse
from typing import Any


def add_feeds_parser(sub: Any) -> None:
    feeds = sub.add_parser("feeds", help="manage feed subscriptions and poll feeds")
    feeds.set_defaults(func=lambda args: (print("feeds: not implemented yet"), 1)[1])
    _ = argparse
