"""Find http(s) links in Slack/Discord message text and canonicalise them for caching."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import idna

# Slack sends <url|label> and <url>; Discord sends <url> for a suppressed embed.
# Bare links end at whitespace or an angle bracket; trailing punctuation is trimmed after.
_LINK = re.compile(
    r"<(?P<wrapped>https?://[^\s<>|]+)(?:\|[^<>]*)?>|(?P<bare>https?://[^\s<>]+)",
    re.IGNORECASE,
)
_TRAILING = ".,;:!?\"'»«”“’‘…*_~"
_PAIRS = {")": "(", "]": "[", "}": "{"}
_SLACK_ESCAPES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))

_TRACKING_EXACT = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "ysclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "ref_src",
        "ref_url",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "twclid",
        "ttclid",
        "li_fat_id",
    }
)
_TRACKING_PREFIXES = ("utm_",)
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Characters left as they are when percent-encoding; "%" keeps existing escapes intact.
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = "/%:@!$'()*+,;=-._~?"
_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")


def _trim(url: str) -> str:
    """Drop sentence punctuation and unbalanced closing brackets glued to a bare link."""
    while url:
        last = url[-1]
        unbalanced = last in _PAIRS and url.count(_PAIRS[last]) < url.count(last)
        if last in _TRAILING or unbalanced:
            url = url[:-1]
        else:
            break
    return url


def _unescape_slack(url: str) -> str:
    for escaped, plain in _SLACK_ESCAPES:
        url = url.replace(escaped, plain)
    return url


def _encode_host(host: str) -> str:
    host = host.rstrip(".").lower()
    if not host:
        raise ValueError("empty host")
    if host.isascii():
        if not re.fullmatch(r"[a-z0-9._-]+", host):
            raise ValueError(f"invalid host: {host!r}")
        return host
    try:
        encoded = idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        raise ValueError(f"invalid international host: {host!r}") from exc
    # UTS 46 maps the ideographic full stop (。) and its kin to ".", so a trailing dot can appear only now:
    # strip it again, or a second pass would change the URL and one feed could be subscribed twice.
    encoded = encoded.rstrip(".")
    if not encoded:
        raise ValueError(f"empty host: {host!r}")
    return encoded


def _encode_ipv6(hostname: str) -> str:
    try:
        return f"[{ipaddress.IPv6Address(hostname.split('%', 1)[0])}]"
    except ValueError as exc:
        raise ValueError(f"invalid IPv6 host: {hostname!r}") from exc


def _quote(part: str, safe: str) -> str:
    quoted = quote(part, safe=safe)
    # %d0 and %D0 are the same byte: one spelling, one cache entry.
    return _ESCAPE.sub(lambda m: m.group(0).upper(), quoted)


def _is_tracking(name: str) -> bool:
    key = unquote(name).lower()
    return key in _TRACKING_EXACT or key.startswith(_TRACKING_PREFIXES)


def canonicalize_url(url: str) -> str:
    """Canonical form of an http(s) URL: lower/IDNA host, no default port, tracking or fragment.

    Raises ValueError for other schemes and for strings that are not URLs.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
        hostname = parts.hostname
    except ValueError as exc:
        raise ValueError(f"not a URL: {url!r}") from exc
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ValueError(f"not an http(s) URL: {url!r}")
    if not hostname:
        raise ValueError(f"URL without a host: {url!r}")
    host = _encode_ipv6(hostname) if ":" in hostname else _encode_host(hostname)
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = _quote(parts.path or "/", _PATH_SAFE)
    kept = [p for p in parts.query.split("&") if p and not _is_tracking(p.split("=", 1)[0])]
    query = "&".join(_quote(p, _QUERY_SAFE + "=") for p in kept)
    # User info is dropped: http://bank.example@evil.example/ tricks readers, never helps us.
    return urlunsplit((scheme, netloc, path, query, ""))


def find_links(text: str, limit: int = 3) -> list[str]:
    """Canonical http(s) URLs in a chat message, de-duplicated, in order, at most `limit`."""
    found: list[str] = []
    if limit <= 0:
        return found
    for match in _LINK.finditer(text):
        wrapped = match.group("wrapped")
        raw = _unescape_slack(wrapped) if wrapped else _trim(_unescape_slack(match.group("bare")))
        try:
            url = canonicalize_url(raw)
        except ValueError:
            continue
        if url not in found:
            found.append(url)
            if len(found) >= limit:
                break
    return found


def canonical_feed_url(raw: str) -> str | None:
    """A canonical feed URL from what a person typed (`<url>`, `@channel` for Telegram); None if not http(s)."""
    raw = raw.strip().strip("<>").split("|")[0]
    short = re.fullmatch(r"@([A-Za-z0-9_]{4,64})", raw)
    if short:
        raw = f"https://t.me/s/{short.group(1)}"
    try:
        return canonicalize_url(raw)
    except ValueError:
        return None
