"""The results as a table on stdout and as BENCHMARKS.md at the repository's root."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bench.common import ROOT, Figure, ms

MAX_PLANNED_STATEMENTS = 40


def table(figures: list[Figure]) -> str:
    rows = [("figure", "db", "value", "target", "verdict")]
    rows += [(f.name, f.database, f.value, f.target, f.verdict) for f in figures]
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return lines


def markdown(
    figures: list[Figure],
    *,
    machine: dict[str, str],
    command: str,
    started: datetime,
    seconds: float,
    scale: dict[str, dict[str, Any]],
    notes: list[str],
) -> str:
    out = [
        "# Benchmarks",
        "",
        "Written by `python -m bench` (see [bench/README.md](bench/README.md) for what each "
        "figure measures and why); every figure below comes from the one run described here. "
        "Do not edit by hand: run the command again.",
        "",
        f"- **Command:** `{command}`",
        f"- **Date:** {started.astimezone(UTC):%Y-%m-%d %H:%M} UTC (took {seconds / 60:.1f} min)",
    ]
    out += [f"- **{key}:** {value}" for key, value in machine.items()]
    out += ["", "## Summary", ""]
    missed = [f for f in figures if f.met is False]
    if missed:
        out.append(
            f"**{len(missed)} of {sum(f.met is not None for f in figures)} targets were "
            "missed in this run** (marked MISSED below)."
        )
    else:
        out.append("Every target with a figure in this run was met.")
    out.append("")
    out += _md_table(
        ["figure", "database", "value", "target", "verdict"],
        [
            [
                f.name,
                f.database,
                f.value,
                f.target,
                f"**{f.verdict}**" if f.met is False else f.verdict,
            ]
            for f in figures
        ],
    )
    if notes:
        out += ["", "Notes from this run:", ""] + [f"- {note}" for note in notes]
    out += _reps_day(figures) + _dispatch(figures) + _scale(scale) + _startup(figures)
    return "\n".join(out) + "\n"


def _reps_day(figures: list[Figure]) -> list[str]:
    found = [f for f in figures if f.bench == "reps_day" and "steps" in f.details]
    if not found:
        return []
    out = ["", "## 1. A rep's day, against a bare echo bot", ""]
    for figure in found:
        d = figure.details
        out += [
            f"**{figure.database}**: {d['reps']} reps at once; salesbot handled "
            f"{d['salesbot updates']} updates in {d['salesbot seconds']} s, the echo bot "
            f"{d['echo updates']} in {d['echo seconds']} s. Latency from sending to handled:",
            "",
        ]
        out += _md_table(
            ["step", "salesbot p50", "salesbot p99", "echo p50", "echo p99"],
            [
                [step, v["salesbot p50"], v["salesbot p99"], v["echo p50"], v["echo p99"]]
                for step, v in d["steps"].items()
            ],
        )
        if d["problems"]:
            out += ["", "Problems seen:", ""] + [f"- {p}" for p in d["problems"][:20]]
        out.append("")
    return out


def _dispatch(figures: list[Figure]) -> list[str]:
    found = [f for f in figures if f.bench == "dispatch" and "reminders" in f.details]
    if not found:
        return []
    out = ["", "## 2. Dispatch at the limit", ""]
    keys = [k for k in found[0].details if k != "outbox states"]
    out += _md_table(
        ["", *[f.database for f in found]],
        [[key, *[str(f.details.get(key, "")) for f in found]] for key in keys]
        + [["outbox states", *[str(f.details.get("outbox states")) for f in found]]],
    )
    return out


def _scale(scale: dict[str, dict[str, Any]]) -> list[str]:
    if not scale:
        return []
    out = [
        "",
        "## 3. Due work and searches at scale",
        "",
        "Median of the timed runs, in each database at each size (the first run, untimed, "
        "warms caches and captures the SQL).",
        "",
    ]
    columns = [(db, size) for db, sizes in scale.items() for size in sizes]
    names: list[str] = []
    for db, size in columns:
        for name in scale[db][size]["operations"]:
            if name not in names:
                names.append(name)
    header = ["operation"] + [f"{db} {int(size):,}" for db, size in columns]
    rows = []
    for name in names:
        row = [name]
        for db, size in columns:
            result = scale[db][size]["operations"].get(name)
            row.append(ms(result["median"]) + f" ({result['statements']} SQL)" if result else "")
        rows.append(row)
    rows.append(
        ["bot process peak RSS"]
        + [f"{scale[db][size]['peak_rss_mib']:.0f} MiB" for db, size in columns]
    )
    out += _md_table(header, rows)
    out += [
        "",
        "### Query plans",
        "",
        "Every distinct statement each operation sent at the largest size, how often, with "
        "the parameters of its first run, and the plan the database chose for them "
        "(SQLite: `EXPLAIN QUERY PLAN`; PostgreSQL: `EXPLAIN`).",
        "",
    ]
    for name in names:
        for db, sizes in scale.items():
            size = max(sizes, key=int)
            result = scale[db][size]["operations"].get(name)
            if not result:
                continue
            plans = result["plans"]
            out += [
                f"<details><summary><b>{name}</b> — {db}, {int(size):,} customers: "
                f"{result['statements']} statements, {len(plans)} distinct</summary>",
                "",
            ]
            for entry in plans[:MAX_PLANNED_STATEMENTS]:
                out += [
                    "```sql",
                    entry["sql"].strip(),
                    "```",
                    f"ran {entry['count']}×; parameters: `{entry['params']}`",
                    "",
                ]
                if entry["plan"]:
                    out += ["```", entry["plan"], "```", ""]
            if len(plans) > MAX_PLANNED_STATEMENTS:
                out += [f"…and {len(plans) - MAX_PLANNED_STATEMENTS} more distinct statements.", ""]
            out += ["</details>", ""]
    return out


def _startup(figures: list[Figure]) -> list[str]:
    found = [f for f in figures if f.bench == "startup" and "salesbot runs" in f.details]
    if not found:
        return []
    d = found[0].details
    return [
        "",
        "## 4. Start-up to first answer",
        "",
        f"- salesbot restarts (s): {d['salesbot runs']}",
        f"- echo bot starts (s): {d['echo runs']}",
        f"- salesbot's first start in this run (s): {d['first start']}",
    ]


def write(text: str) -> None:
    (ROOT / "BENCHMARKS.md").write_text(text, encoding="utf-8")
