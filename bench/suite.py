"""What every benchmark of the suite shares: a measure's row, medians, the table it prints."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Measure:
    """One row of the suite's table: the project against its hand-written baseline.

    ``ratio`` is project / baseline when smaller is better (times, memory) and baseline /
    project when larger is better (requests a second); either way the target is ``<= target``
    unless ``at_least`` is set (scaling: project / baseline >= target).
    """

    name: str
    unit: str
    project: float
    baseline: float
    target: float | None
    note: str = ""
    higher_is_better: bool = False
    at_least: bool = False

    @property
    def ratio(self) -> float:
        if self.at_least:
            return self.project / self.baseline if self.baseline else float("nan")
        if self.higher_is_better:
            return self.baseline / self.project if self.project else float("inf")
        return self.project / self.baseline if self.baseline else float("inf")

    @property
    def met(self) -> str:
        if self.target is None:
            return "ref"
        ok = self.ratio >= self.target if self.at_least else self.ratio <= self.target
        return "met" if ok else "MISSED"

    def line(self) -> str:
        target = (
            "-" if self.target is None else ("≥ " if self.at_least else "≤ ") + f"{self.target:g}x"
        )
        return (
            f"| {self.name} | {self.project:,.3g} {self.unit} | {self.baseline:,.3g} {self.unit}"
            f" | {self.ratio:.2f}x | {target} | {self.met} | {self.note} |"
        )


HEADER = (
    "| measure | project | baseline | ratio | target | | baseline is |\n"
    "|---|---:|---:|---:|---|---|---|"
)


def peak_mib() -> float:
    """This process's peak resident set (VmHWM). Not ``ru_maxrss``: Linux keeps that across
    ``exec``, so a child forked from a big parent reports the parent's size."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def run_child(module: str, *args: str, timeout: float = 1800) -> dict[str, Any]:
    """Run ``python -m <module> <args>`` in a fresh process; its last stdout line is JSON."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        check=False,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{module} {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def print_measures(measures: Sequence[Measure], file: Any = None) -> None:
    print(HEADER, file=file)
    for m in measures:
        print(m.line(), file=file, flush=True)
