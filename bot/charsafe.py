"""Repairs characters no text should carry (lone surrogates, control characters, noncharacters) at the edges."""

from __future__ import annotations

import re

# Lone surrogates cannot be encoded (SQLite, JSON and chat APIs all refuse them); C0 and C1 controls other than
# tab and line breaks, DEL and the Unicode noncharacters are never text, and some clients reject them.
_BAD_CHARS = re.compile(
    "[\ud800-\udfff]"
    "|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
    "|[\ufdd0-\ufdef\ufffe\uffff]"
    "|[\U0001fffe\U0001ffff\U0010fffe\U0010ffff]"
)
REPLACEMENT = "\ufffd"


def clean_chars(text: str) -> str:
    """`text` with surrogates replaced by U+FFFD and control characters and noncharacters dropped."""
    return _BAD_CHARS.sub(_replacement, text)


def _replacement(match: re.Match[str]) -> str:
    return REPLACEMENT if "\ud800" <= match.group(0) <= "\udfff" else ""


def has_bad_chars(text: str) -> bool:
    return _BAD_CHARS.search(text) is not None


def ascii_int(text: str, max_digits: int = 18) -> int | None:
    """The number an ASCII digit string spells, else None.

    str.isdigit() is true for "¹" and "٣", which int() then refuses, and int() refuses more than 4,300 digits:
    numbers from URLs, headers and feeds are read through this instead.
    """
    if 0 < len(text) <= max_digits and text.isascii() and text.isdigit():
        return int(text)
    return None


# A numeric character reference, also in its escaped form (&amp;#…;) as it appears in escaped HTML descriptions,
# which a feed parser unescapes and then decodes a second time.
_CHARREF = re.compile(rb"&(amp;)?#(?:[xX]([0-9a-fA-F]+)|([0-9]+));?")
_MAX_DIGITS = 8  # U+10FFFF is 7 digits in decimal: anything longer is out of range (and int() of 5,000 digits fails)


def _valid_codepoint(value: int) -> bool:
    if value > 0x10FFFF or 0xD800 <= value <= 0xDFFF:
        return False
    if value < 0x20 and value not in (0x09, 0x0A, 0x0D):
        return False
    return not (0xFDD0 <= value <= 0xFDEF or value & 0xFFFE == 0xFFFE)


def _repair_ref(match: re.Match[bytes]) -> bytes:
    hex_digits, dec_digits = match.group(2), match.group(3)
    digits = (hex_digits or dec_digits).lstrip(b"0") or b"0"
    if len(digits) <= _MAX_DIGITS and _valid_codepoint(int(digits, 16 if hex_digits else 10)):
        return match.group(0)
    return b"&" + (match.group(1) or b"") + b"#xFFFD;"


def repair_charrefs(body: bytes) -> bytes:
    """Rewrite references to code points that are not characters (&#xD800;, &#1114112;, &#0;) as U+FFFD.

    Parsers turn such a reference into a lone surrogate or fail on it outright (feedparser raises on both, and so
    loses the whole feed). Works on any ASCII-compatible encoding; other bytes pass through unchanged.
    """
    if b"&" not in body:
        return body
    return _CHARREF.sub(_repair_ref, body)
