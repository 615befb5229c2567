"""The benchmark suite runs: ``python -m bench --quick`` as CI's smoke test (no thresholds)."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXPECTED = [
    "CSV report, 3,000 rows, sqlite: CPU",
    "CSV report, 3,000 rows, sqlite: peak RSS",
    "HTML report, 3,000 rows, sqlite: CPU",
    "XLSX report, 3,000 rows, sqlite: CPU",
    "XLSX report, 3,000 rows, sqlite: peak RSS",
    "PDF report, 3,000 rows, sqlite: CPU",
    "PDF report, 3,000 rows, sqlite: peak RSS",
    "dashboard, 1 client, SQLite: CPU a request",
    "dashboard, 8 clients, SQLite: throughput",
    "dashboard, 32 clients, SQLite: throughput",
    "usage page of 100",
    "small order create -> READY on the socket",
    "small order create -> READY (",
    "small order create -> READY, the floor with what the design requires",
    "warm restart to first answer: wall",
    "warm restart to first answer: CPU",
]


def test_the_quick_benchmark_prints_every_measure_with_a_ratio() -> None:
    # when the quick suite runs (SQLite only)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    # then each measure is a table row with numbers, a finite ratio and its target
    rows = [line.split(" | ") for line in done.stdout.splitlines() if line.startswith("| ")]
    names = [row[0].removeprefix("| ") for row in rows[1:]]
    for expected in EXPECTED:
        assert any(name.startswith(expected) for name in names), (expected, done.stdout)
    for row in rows[1:]:
        ratio = float(row[3].removesuffix("x"))
        assert math.isfinite(ratio) and ratio > 0, row
