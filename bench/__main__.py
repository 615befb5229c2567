"""Run the suite: every measure of issue #16 as project, baseline, ratio and target.

    python -m bench --quick          small data, one round, SQLite, no scaling: a smoke test
                                     (tests/test_bench.py runs it in CI, no thresholds)
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

GROUPS = ("reports", "dashboard", "ready", "scaling", "restart")


def _plan(full: bool, rows: int, repeats: int) -> dict[str, Callable[[], list[Measure]]]:
    from bench import dashboard, ready, reports, restart, scaling

    def report_measures() -> list[Measure]:
        if not full:
            return reports.measure(3_000, 1, "sqlite", ["CSV", "HTML", "XLSX", "PDF"])
        # PostgreSQL: the formats whose cost is mostly the read; XLSX and PDF are the
        # libraries' per-cell work, the same on either database.
        return reports.measure(
            rows, repeats, "sqlite", ["CSV", "HTML", "XLSX", "PDF"]
        ) + reports.measure(rows, repeats, "postgres", ["CSV", "HTML"])

    backends = ["sqlite", "postgres"] if full else ["sqlite"]
    rounds = 2 + repeats if full else 1
    return {
        "reports": report_measures,
        "dashboard": lambda: [m for b in backends for m in dashboard.measure(b, rounds, not full)],
        "ready": lambda: ready.measure(21 if full else 7),
        "scaling": lambda: scaling.measure(repeats if full else 1, 10 if full else 3),
        "restart": lambda: restart.measure(2 + repeats if full else 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--quick", action="store_true")
    mode.add_argument("--full", action="store_true")
    parser.add_argument("--only", nargs="+", choices=GROUPS)
    parser.add_argument("--rows", type=int, default=100_000, help="report rows (full run)")
    parser.add_argument("--repeats", type=int, default=2, help="rounds per contender (full run)")
    args = parser.parse_args()
    # Starting API processes under load takes a minute or two: scaling only in the full run.
    groups = args.only or (list(GROUPS) if args.full else [g for g in GROUPS if g != "scaling"])
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {'full' if args.full else 'quick'} run;"
        f" Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs,"
        f" load average {load}",
        flush=True,
    )
    plan = _plan(args.full, args.rows, args.repeats)
    measures: list[Measure] = []
    started = time.perf_counter()
    for group in groups:
        print(f"-- {group}", file=sys.stderr, flush=True)
        done = plan[group]()
        print_measures(done, file=sys.stderr)  # as it goes, in case a later group fails
        measures += done
    print_measures(measures)
    print(
        f"{len(measures)} measures in {time.perf_counter() - started:.0f} s; load average now"
        f" {', '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )


if __name__ == "__main__":
    main()
