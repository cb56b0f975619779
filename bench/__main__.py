"""``python -m bench``: run the benchmarks, print the table, write BENCHMARKS.md.

    python -m bench [--quick] [--only NAME] [--db sqlite|postgresql|both] [--sizes 10000,1000000]

See bench/README.md for what each figure measures and its target.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import dispatch, report, reps_day, scale, startup
from bench.common import Figure, load_average, machine, postgres_reachable, say

BENCHES = ("reps_day", "dispatch", "scale", "startup")


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, fewer runs: a smoke run")
    parser.add_argument(
        "--only", choices=BENCHES, action="append", help="run only this (repeatable)"
    )
    parser.add_argument(
        "--db",
        choices=("sqlite", "postgresql", "both"),
        help="databases (default: both when PostgreSQL is reachable, else sqlite)",
    )
    parser.add_argument("--sizes", help="customers per scale database, e.g. 10000,1000000")
    parser.add_argument("--reps", type=int, default=50, help="simulated reps in the rep's day")
    parser.add_argument(
        "--regenerate", action="store_true", help="rebuild the cached scale databases"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    started_at = datetime.now(UTC)
    started = time.perf_counter()
    command = shlex.join(["python", "-m", "bench", *(sys.argv[1:] if argv is None else argv)])
    if args.db in (None, "both"):
        reachable = postgres_reachable()
        if args.db == "both" and not reachable:
            say("PostgreSQL is not reachable (BENCH_POSTGRES_URL)")
            return 2
        databases = ["sqlite", "postgresql"] if reachable else ["sqlite"]
    else:
        databases = [args.db]
    if args.sizes:
        sizes = sorted(int(size.replace("_", "")) for size in args.sizes.split(","))
    else:
        sizes = [2_000, 20_000] if args.quick else [10_000, 1_000_000]
    chosen = args.only or list(BENCHES)
    runs = 3 if args.quick else 7
    chats, per_chat = (100, 3) if args.quick else (1_000, 3)
    restarts = 2 if args.quick else 5
    described = machine(databases)
    say(f"databases {databases}, scale sizes {sizes}, benchmarks {chosen}")

    figures: list[Figure] = []
    notes: list[str] = []
    scale_results: dict[str, dict[str, Any]] = {}

    def attempt(label: str, database: str, work: Callable[..., list[Figure]]) -> None:
        try:
            figures.extend(work())
        except Exception as error:
            traceback.print_exc(file=sys.stderr)
            reason = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
            figures.append(Figure(label, label, database, f"FAILED ({reason[:120]})", "", False))
            notes.append(f"{label} on {database} failed: {reason}")

    with tempfile.TemporaryDirectory() as folder:
        for database in databases:
            if "reps_day" in chosen:
                attempt(
                    "reps_day",
                    database,
                    lambda db=database: reps_day.run(db, Path(folder), args.reps),
                )
            if "dispatch" in chosen:
                attempt(
                    "dispatch",
                    database,
                    lambda db=database: dispatch.run(db, Path(folder), chats, per_chat),
                )
        for database in databases:
            if "scale" in chosen:

                def scaled(database: str = database) -> list[Figure]:
                    found, raw = scale.run(database, sizes, runs, regenerate=args.regenerate)
                    scale_results[database] = raw
                    return found

                attempt("scale", database, scaled)
        if "startup" in chosen:
            attempt(
                "startup",
                "sqlite",
                lambda: startup.run(scale.database_for("sqlite", max(sizes)), max(sizes), restarts),
            )

    if args.quick:
        notes.append(
            "A --quick smoke run: small sizes and few runs; the targets are defined for the full "
            "run (50 reps, 3,000 reminders to 1,000 chats, 10,000 and 1,000,000 customers)."
        )
    seconds = time.perf_counter() - started
    described["Load average at the end (1, 5, 15 min)"] = load_average()
    print(report.table(figures))
    report.write(
        report.markdown(
            figures,
            machine=described,
            command=command,
            started=started_at,
            seconds=seconds,
            scale=scale_results,
            notes=notes,
        )
    )
    say(f"BENCHMARKS.md written ({seconds / 60:.1f} min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
