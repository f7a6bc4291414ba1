"""Logging for the command line: our records at the user's level; page parsers' diagnostics only when debugging."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

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


FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_logging(level_name: str, log_file: Path | None = None) -> None:
    """Our records at `level_name`, to standard error or, when given, appended to `log_file`."""
    level = getattr(logging, level_name.upper(), logging.INFO)
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        logging.basicConfig(level=level, format=FORMAT, filename=str(log_file), encoding="utf-8")
    else:
        logging.basicConfig(level=level, format=FORMAT, stream=sys.stderr)
    for handler in logging.getLogger().handlers:
        handler.addFilter(DemotePageParsers(level))
    _quiet_httpx()


def log_to_file(log_file: Path) -> None:
    """Move our log records from the terminal to `log_file`: the console's conversation stays readable."""
    root = logging.getLogger()
    level = root.level
    for handler in list(root.handlers):
        if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
            root.removeHandler(handler)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(log_file, encoding="utf-8")
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(DemotePageParsers(level))
    root.addHandler(handler)


def _quiet_httpx() -> None:
    # httpx logs every request line with its full URL at INFO; keep it for debugging only.
    logging.getLogger("httpx").setLevel(logging.WARNING)
