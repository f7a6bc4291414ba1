"""One Matcher: combines phrasing similarity, cue evidence and the topic gate into calibrated 0-100 scores."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from matchers.library import Library


@dataclass(frozen=True)
class Thresholds:
    alert: float = 60.0
    suggest: float = 45.0


@dataclass(frozen=True)
class Match:
    narrative_id: str
    score: float
    level: Literal["alert", "suggest"]
    evidence: str
    matched: str
    cues: tuple[str, ...] = ()


class Matcher:
    def __init__(self, library: Library, thresholds: Thresholds | None = None) -> None:
        self.library = library
        self.thresholds = thresholds or Thresholds()

    def match(self, text: str) -> list[Match]:
        raise NotImplementedError
