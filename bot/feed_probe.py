"""Tries a feed before a channel subscribes to it, so a feed that cannot be read is refused with the reason."""

from __future__ import annotations

import logging

from bot.feed_parse import FeedParseError, parse_feed, parse_telegram, telegram_preview_url
from bot.fetch import FetchError, SafeFetcher
from bot.models import FeedCheck

logger = logging.getLogger(__name__)

_FETCH_PREFIX = "I can't read that link: "


def _reason(message: str) -> str:
    # Fetch messages are worded for a pasted link; here they follow "I can't watch URL: ".
    message = message.removeprefix(_FETCH_PREFIX)
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
            return FeedCheck(url, problem=_reason(exc.user_message), hint=hint)
        except Exception:  # a bug or a library surprise must not leave the command unanswered
            logger.exception("trying feed %s failed", url)
            return FeedCheck(url, problem="it could not be read because of an internal error; it has been logged.")
        return FeedCheck(url, title=parsed.title, items=len(parsed.items))
