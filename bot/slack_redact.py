"""Slack tokens never reach a log: the Slack SDK, at DEBUG, logs whole API answers, oauth.v2.access (a new bot
token) among them. This filter rewrites any token in a record of the loggers that do that."""

from __future__ import annotations

import logging
import re

_TOKEN = re.compile(r"\bxox[a-z]-[A-Za-z0-9-]+|\bxapp-[A-Za-z0-9-]+")
REDACTED = "(redacted)"
# The SDK's and Bolt's loggers that write request and answer bodies (filters apply to a logger's own records,
# not its children's, so each is named).
SLACK_LOGGERS = (
    "slack_sdk.web.async_base_client",
    "slack_sdk.web.base_client",
    "slack_sdk.web.async_slack_response",
    "slack_sdk.web.slack_response",
    "slack_sdk.oauth.installation_store",
    "slack_bolt.oauth.async_oauth_flow",
    "slack_bolt.oauth.async_callback_options",
    "slack_bolt.oauth.async_oauth_settings",
    "slack_bolt.authorization.async_authorize",
    "slack_bolt.App",
    "slack_bolt.AsyncApp",
)


def redact(text: str) -> str:
    return _TOKEN.sub(REDACTED, text)


class RedactSlackTokens(logging.Filter):
    """Rewrites a record's message with every Slack token in it replaced; the record itself still passes."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not fit its format: leave it to logging's own report
            return True
        if _TOKEN.search(message):
            record.msg, record.args = redact(message), None
        return True


def install(extra: tuple[logging.Logger, ...] = ()) -> None:
    """Put the filter on the Slack loggers (and on `extra`); idempotent."""
    for logger in (*(logging.getLogger(name) for name in SLACK_LOGGERS), *extra):
        if not any(isinstance(f, RedactSlackTokens) for f in logger.filters):
            logger.addFilter(RedactSlackTokens())
