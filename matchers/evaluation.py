"""Scores a labelled JSONL set exactly as the evaluation README defines: hits, misses, wrong alerts, false alarms."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from matchers.engine import Match

KINDS = ("propaganda", "neutral", "unrelated", "critical")
PROBLEM_VERDICTS = ("wrong", "miss", "false_alarm", "critical_alert")


class _Matcher(Protocol):
    def alerts(self, text: str) -> list[Match]: ...


@dataclass(frozen=True)
class Case:
    id: str
    kind: str
    lang: str
    labels: tuple[str, ...]
    text: str


class CaseError(ValueError):
    """A line of the evaluation file that cannot be used."""


FIELDS = ("id", "kind", "lang", "labels", "text")


def _case(row: object, where: str) -> Case:
    if not isinstance(row, dict):
        raise CaseError(f"{where}: expected a JSON object with the fields {', '.join(FIELDS)}")
    missing = [name for name in FIELDS if name not in row]
    if missing:
        raise CaseError(f"{where}: missing field{'s' if len(missing) > 1 else ''} {', '.join(missing)}")
    kind, labels, text = row["kind"], row["labels"], row["text"]
    if kind not in KINDS:
        raise CaseError(f"{where}: unknown kind {kind!r} (expected one of {', '.join(KINDS)})")
    if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
        raise CaseError(f"{where}: labels must be a list of narrative ids")
    if not isinstance(text, str):
        raise CaseError(f"{where}: text must be a string")
    return Case(str(row["id"]), kind, str(row["lang"]), tuple(labels), text)


def load_cases(path: Path) -> list[Case]:
    """The cases of a JSONL file; CaseError (one line, naming the file and line) when it cannot be used."""
    cases = []
    try:
        with path.open(encoding="utf-8") as handle:
            for lineno, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise CaseError(f"{path}:{lineno}: invalid JSON ({exc.msg})") from None
                cases.append(_case(row, f"{path}:{lineno}"))
    except UnicodeDecodeError:
        raise CaseError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise CaseError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return cases


@dataclass
class Tally:
    hits: int = 0
    wrong: int = 0
    misses: int = 0
    false_alarms: int = 0
    propaganda: int = 0
    quiet_cases: int = 0  # neutral + unrelated
    critical: int = 0
    critical_alerts: int = 0

    @property
    def precision(self) -> float:
        denominator = self.hits + self.wrong + self.false_alarms
        return self.hits / denominator if denominator else 1.0

    @property
    def recall(self) -> float:
        return self.hits / self.propaganda if self.propaganda else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def false_alarm_rate(self) -> float:
        return self.false_alarms / self.quiet_cases if self.quiet_cases else 0.0

    @property
    def critical_alert_rate(self) -> float:
        return self.critical_alerts / self.critical if self.critical else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "false_alarm_rate": round(self.false_alarm_rate, 4),
            "critical_alert_rate": round(self.critical_alert_rate, 4),
            "hits": self.hits,
            "wrong": self.wrong,
            "misses": self.misses,
            "false_alarms": self.false_alarms,
            "propaganda": self.propaganda,
            "neutral_unrelated": self.quiet_cases,
            "critical": self.critical,
            "critical_alerts": self.critical_alerts,
        }


@dataclass
class Outcome:
    case: Case
    verdict: str  # hit | wrong | miss | false_alarm | quiet | critical_alert | critical_quiet
    top: Match | None


@dataclass
class Report:
    overall: Tally = field(default_factory=Tally)
    by_lang: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_narrative: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    outcomes: list[Outcome] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        def problem(o: Outcome) -> dict[str, Any]:
            return {
                "id": o.case.id,
                "kind": o.case.kind,
                "lang": o.case.lang,
                "labels": list(o.case.labels),
                "outcome": o.verdict,
                "alert": o.top.narrative_id if o.top else None,
                "score": o.top.score if o.top else None,
                "evidence": o.top.evidence if o.top else None,
                "text": o.case.text,
            }

        return {
            "overall": self.overall.to_dict(),
            "by_lang": {k: v.to_dict() for k, v in sorted(self.by_lang.items())},
            "by_narrative": {k: v.to_dict() for k, v in sorted(self.by_narrative.items())},
            "problems": [problem(o) for o in self.outcomes if o.verdict in PROBLEM_VERDICTS],
        }


def _count(tally: Tally, case: Case, verdict: str) -> None:
    if case.kind == "propaganda":
        tally.propaganda += 1
        if verdict == "hit":
            tally.hits += 1
        elif verdict == "wrong":
            tally.wrong += 1
        else:
            tally.misses += 1
    elif case.kind in ("neutral", "unrelated"):
        tally.quiet_cases += 1
        if verdict == "false_alarm":
            tally.false_alarms += 1
    else:
        tally.critical += 1
        if verdict == "critical_alert":
            tally.critical_alerts += 1


def evaluate(matcher: _Matcher, cases: list[Case]) -> Report:
    report = Report()
    for case in cases:
        alerts = matcher.alerts(case.text)
        top = alerts[0] if alerts else None
        if case.kind == "propaganda":
            verdict = "miss" if top is None else ("hit" if top.narrative_id in case.labels else "wrong")
        elif case.kind in ("neutral", "unrelated"):
            verdict = "false_alarm" if top else "quiet"
        else:
            verdict = "critical_alert" if top else "critical_quiet"
        report.outcomes.append(Outcome(case, verdict, top))
        _count(report.overall, case, verdict)
        _count(report.by_lang[case.lang], case, verdict)
        narratives = set(case.labels)
        if verdict in ("wrong", "false_alarm", "critical_alert") and top is not None:
            narratives.add(top.narrative_id)  # a false alarm counts against the narrative that raised it
        for narrative in narratives:
            tally = report.by_narrative[narrative]
            if narrative in case.labels:
                _count(tally, case, verdict)
            elif verdict in ("wrong", "false_alarm"):
                tally.false_alarms += 1
    return report


def _row(name: str, t: Tally) -> str:
    return (
        f"{name:26} {t.precision:6.2f} {t.recall:6.2f} {t.f1:6.2f}   {t.hits:3d} {t.wrong:3d} {t.misses:3d} "
        f"{t.false_alarms:3d}"
    )


def format_report(report: Report) -> str:
    lines = [f"{'':26} {'prec':>6} {'recall':>6} {'F1':>6}   hit wrg mis  FA"]
    lines.append(_row("overall", report.overall))
    for lang, tally in sorted(report.by_lang.items()):
        lines.append(_row(f"  lang {lang}", tally))
    for narrative, tally in sorted(report.by_narrative.items()):
        lines.append(_row(f"  {narrative}", tally))
    problems = [o for o in report.outcomes if o.verdict in ("wrong", "miss", "false_alarm", "critical_alert")]
    if problems:
        lines.append("")
        lines.append("Misses, wrong alerts and false alarms:")
        for o in problems:
            got = f"{o.top.narrative_id} {o.top.score:.0f}" if o.top else "no alert"
            want = ",".join(o.case.labels) or o.case.kind
            lines.append(f"  {o.case.id} [{o.case.lang}] {o.verdict}: want {want}, got {got} — {o.case.text[:90]}")
    t = report.overall
    lines.append("")
    lines.append(
        f"precision {t.precision:.3f}  recall {t.recall:.3f}  F1 {t.f1:.3f}  "
        f"false alarms {t.false_alarms}/{t.quiet_cases} ({t.false_alarm_rate:.1%})  "
        f"critical alerted {t.critical_alerts}/{t.critical} ({t.critical_alert_rate:.1%})"
    )
    return "\n".join(lines)


def format_comparison(reports: dict[str, Report]) -> str:
    """One line per matcher, the same cases: what the README's quality table shows."""
    lines = [f"{'matcher':8} {'prec':>6} {'recall':>6} {'F1':>6}  {'false alarms':>14}  {'critical alerted':>16}"]
    for name, report in reports.items():
        t = report.overall
        lines.append(
            f"{name:8} {t.precision:6.3f} {t.recall:6.3f} {t.f1:6.3f}  "
            f"{f'{t.false_alarms}/{t.quiet_cases} ({t.false_alarm_rate:.0%})':>14}  "
            f"{f'{t.critical_alerts}/{t.critical} ({t.critical_alert_rate:.0%})':>16}"
        )
    return "\n".join(lines)
