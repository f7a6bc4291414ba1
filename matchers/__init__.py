"""Pure narrative matching: text in, ranked matches with evidence out. No network, no chat SDK."""

from matchers.engine import Match, Matcher, Thresholds
from matchers.library import Lang, Library, LibraryError, Narrative, Source, Translated, load_library, parse_library

__all__ = [
    "Lang",
    "Library",
    "LibraryError",
    "Match",
    "Matcher",
    "Narrative",
    "Source",
    "Thresholds",
    "Translated",
    "load_library",
    "parse_library",
]
