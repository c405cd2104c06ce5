"""One shape for every benchmark's figures, and `benchmarks/results.json`.

A figure is a value measured beside a baseline in the same run (so machines compare), and the
target it is held to: `Figure.at_most_ratio("triage p50", 12.0, 1.1, "ms", 10)` is met when
12.0 / 1.1 <= 10. Figures with no baseline (a count of statements) are held to their value;
an informational figure (target and met null) is held to nothing.

    {"name", "value", "unit", "baseline", "ratio", "target", "met"}
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

RESULTS = Path(__file__).with_name("results.json")


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str
    baseline: float | None
    ratio: float | None
    target: float | None  # None: informational, a figure with no target to meet
    met: bool | None

    @classmethod
    def at_most_ratio(
        cls, name: str, value: float, baseline: float, unit: str, target: float
    ) -> Figure:
        ratio = value / baseline
        return cls(name, value, unit, baseline, round(ratio, 3), target, ratio <= target)

    @classmethod
    def at_least_ratio(
        cls, name: str, value: float, baseline: float, unit: str, target: float
    ) -> Figure:
        ratio = value / baseline
        return cls(name, value, unit, baseline, round(ratio, 3), target, ratio >= target)

    @classmethod
    def at_most(cls, name: str, value: float, unit: str, target: float) -> Figure:
        return cls(name, value, unit, None, None, target, value <= target)

    @classmethod
    def at_least(
        cls, name: str, value: float, unit: str, target: float, baseline: float | None = None
    ) -> Figure:
        ratio = None if baseline is None else round(value / baseline, 3)
        return cls(name, value, unit, baseline, ratio, target, value >= target)

    @classmethod
    def informational(cls, name: str, value: float, unit: str) -> Figure:
        """A figure reported for what it says, with no target (so never short of one)."""
        return cls(name, value, unit, None, None, None, None)

    def line(self) -> str:
        baseline = "" if self.baseline is None else f"{self.baseline:>10.2f}"
        ratio = "" if self.ratio is None else f"{self.ratio:>8.2f}x"
        mark = "met" if self.met else "NOT MET"
        target = "(informational)" if self.target is None else f"target {self.target:g}  {mark}"
        return (
            f"  {self.name:<44} {self.value:>10.2f} {self.unit:<12} {baseline:>10} {ratio:>9}"
            f"  {target}"
        )


def report(figures: list[Figure], path: Path = RESULTS) -> None:
    """Print the figures and add them to results.json (a figure of the same name is replaced)."""
    print(f"  {'figure':<44} {'value':>10} {'unit':<12} {'baseline':>10} {'ratio':>9}")
    for figure in figures:
        print(figure.line())
    kept = json.loads(path.read_text()) if path.exists() else []
    names = {f.name for f in figures}
    kept = [k for k in kept if k["name"] not in names] + [asdict(f) for f in figures]
    path.write_text(json.dumps(kept, indent=2) + "\n")
