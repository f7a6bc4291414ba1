"""Tries a feed before a channel subscribes to it, so a feed that cannot be read is refused with the reason."""

from __future__ import annotations

import logging

from bot.feed_parse import FeedParseError, parse_feed, parse_telegram, telegram_preview_url
from bot.fetch import FetchError, SafeFetcher
from bot.models import FeedCheck
from bot.read_reasons import LINK_PREFIX, Reason

logger = logging.getLogger(__name__)


def _clause(message: str) -> str:
    # A message given as text alone is worded for a pasted link; here it follows "I can't watch URL: ".
    message = message.removeprefix(LINK_PREFIX["en"])
    return message[:1].lower() + message[1:]


class FeedProbe:
    """Fetches and parses a feed once, as the poller will (RSS/Atom, or a Telegram channel preview)."""

    def __init__(self, fetcher: SafeFetcher) -> None:
        self._fetcher = fetcher

    async def check(self, url: str) -> FeedCheck:
        telegram_url = telegram_preview_url(url)
        try:
            page = await self._fetcher.fetch(telegram_url or url)
            # The same routing as FeedPoller._poll: a Telegram address, or a page that is a channel preview.
            if telegram_url is not None or (
                page.content_type == "text/html" and "tgme_widget_message" in page.text[:200_000]
            ):
                parsed = parse_telegram(page.text, url=url, final_url=page.url)
            else:
                parsed = parse_feed(page.body, url=page.url, headers=page.headers)
        except (FetchError, FeedParseError) as exc:
            logger.info("feed %s refused: %s", url, exc.code)
            hint = exc.operator_hint if isinstance(exc, FetchError) else None
            problem = exc.reason.clause("en") if exc.reason is not None else _clause(exc.user_message)
            return FeedCheck(url, problem=problem, hint=hint, reason=exc.reason)
        except Exception:  # a bug or a library surprise must not leave the command unanswered
            logger.exception("trying feed %s failed", url)
            reason = Reason("internal_error")
            return FeedCheck(url, problem=reason.clause("en"), reason=reason)
        return FeedCheck(url, title=parsed.title, items=len(parsed.items))
