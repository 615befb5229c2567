"""Run the suite: every measure of issue #16 as project, baseline, ratio and target.

    python -m bench --quick          small data, few rounds: a smoke test (CI, no thresholds)
    python -m bench --full           the recorded run (bench/RESULTS.md), both backends
    python -m bench --full --only reports dashboard

Contenders are interleaved in one run and compared by ratio, so a loaded machine slows both.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime

from bench.suite import Measure, print_measures

GROUPS = ("reports", "dashboard", "restart")


def _plan(full: bool) -> dict[str, Callable[[], list[Measure]]]:
    from bench import dashboard, reports, restart

    backends = ["sqlite", "postgres"] if full else ["sqlite"]
    rows, repeats = (100_000, 3) if full else (3_000, 1)
    return {
        "reports": lambda: [
            m
            for b in (backends if full else ["sqlite"])
            for m in reports.measure(rows, repeats, b, ["CSV", "HTML", "XLSX", "PDF"])
        ],
        "dashboard": lambda: [
            m for b in backends for m in dashboard.measure(b, 5 if full else 1, not full)
        ],
        "restart": lambda: restart.measure(5 if full else 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--quick", action="store_true")
    mode.add_argument("--full", action="store_true")
    parser.add_argument("--only", nargs="+", choices=GROUPS, default=list(GROUPS))
    args = parser.parse_args()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {'full' if args.full else 'quick'} run;"
        f" Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs,"
        f" load average {load}",
        flush=True,
    )
    plan = _plan(args.full)
    measures: list[Measure] = []
    started = time.perf_counter()
    for group in args.only:
        print(f"-- {group}", file=sys.stderr, flush=True)
        measures += plan[group]()
    print_measures(measures)
    print(
        f"{len(measures)} measures in {time.perf_counter() - started:.0f} s; load average now"
        f" {', '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )


if __name__ == "__main__":
    main()
