"""Pure narrative matching: text in, ranked matches with evidence out. No network, no chat SDK."""

from matchers.engine import Match, Matcher, Thresholds
from matchers.library import Library, LibraryError, Narrative, Source, load_library, parse_library

__all__ = [
    "Library",
    "LibraryError",
    "Match",
    "Matcher",
    "Narrative",
    "Source",
    "Thresholds",
    "load_library",
    "parse_library",
]
