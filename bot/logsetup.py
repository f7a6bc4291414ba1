"""Logging for the command line: our records at the user's level; page parsers' diagnostics only when debugging."""

from __future__ import annotations

import logging
import sys

# trafilatura and its helpers log ERROR/WARNING about the page they are given ("empty HTML tree", "discarding
# data"): on an empty or odd page that is an expected outcome, which we already report in one line of our own.
# Their records are moved to DEBUG, so they show exactly when the user asks for debugging.
PAGE_PARSER_LOGGERS = ("trafilatura", "htmldate", "courlan", "justext", "charset_normalizer")


class DemotePageParsers(logging.Filter):
    """A handler filter: page-parser records become DEBUG records, and pass only when DEBUG is wanted."""

    def __init__(self, level: int) -> None:
        super().__init__()
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        name = record.name
        if not any(name == prefix or name.startswith(prefix + ".") for prefix in PAGE_PARSER_LOGGERS):
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return self.level <= logging.DEBUG


def setup_logging(level_name: str) -> None:
    level = getattr(logging, level_name.upper(), logging.INFO)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    for handler in logging.getLogger().handlers:
        handler.addFilter(DemotePageParsers(level))
    # httpx logs every request line with its full URL at INFO; keep it for debugging only.
    logging.getLogger("httpx").setLevel(logging.WARNING)
