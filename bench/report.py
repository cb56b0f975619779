"""The results as a table on stdout and as BENCHMARKS.md at the repository's root."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bench.common import ROOT, Figure, ms

MAX_PLANNED_STATEMENTS = 40
NOTES = ROOT / "bench" / "notes.md"


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
    out += _notes()
    return "\n".join(out) + "\n"


def _notes() -> list[str]:
    """bench/notes.md, the hand-written analysis, verbatim (when it exists)."""
    if not NOTES.is_file():
        return []
    return ["", "## Why, where a target is missed", "", NOTES.read_text(encoding="utf-8").strip()]


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
        if "salesbot cpu per update" in d:
            out += [
                "",
                f"CPU per update (`time.process_time` over the timed phase ÷ updates; the whole "
                f"process, so the emulator's share is included): salesbot "
                f"{d['salesbot cpu per update']}, the echo bot {d['echo cpu per update']}.",
            ]
        if d["problems"]:
            out += ["", "Problems seen:", ""] + [f"- {p}" for p in d["problems"][:20]]
        out.append("")
        if "profile" in d:
            out += _profile(figure.database, d["reps"], d["profile"])
    return out


def _profile(database: str, reps: int, profile: dict[str, Any]) -> list[str]:
    out = [
        f"<details><summary><b>Profile of the rep's day</b> — {database}: where salesbot's time "
        "goes</summary>",
        "",
    ]
    if "failed" in profile:
        return [*out, f"The profiled run failed: {profile['failed']}", "", "</details>", ""]
    out += [
        f"After the measured run, the same day ({reps} reps at once, salesbot alone, a fresh "
        "database) ran once more with the bot and the emulator in this process under cProfile, "
        "from the first counted update to the last answer (the warm-up person not included): "
        f"{profile['updates']} updates in {profile['wall seconds']} s "
        f"(CPU {profile.get('cpu per update', '?')} per update with the profiler's overhead; "
        "the measured figures above are from the unprofiled run).",
        "",
        "**Share of the time by area**: each function's own time (tottime) summed by the "
        "file it is in; a built-in function (a C method such as `sqlite3.Cursor.execute`) "
        "counts for the area of its caller. cProfile's clock is wall time, so the event loop "
        "waiting for I/O shows as idle.",
        "",
    ]
    out += _md_table(
        ["area", "seconds", "share"],
        [[area, f"{seconds:.3f}", share] for area, seconds, share in profile["areas"]],
    )
    out += [
        "",
        f"**The project's own functions (bot/, models/; not the emulator) by cumulative "
        f"time**, the top {len(profile['functions'])}. cumtime includes what a function "
        "calls but not the time a coroutine spends suspended in `await`. cProfile counts each "
        "resumption of a coroutine as a call, so for `async def` functions ncalls is "
        "resumptions, not invocations, and the time per call is per resumption (a/b: "
        "calls/primitive calls, for recursion).",
        "",
    ]
    out += _md_table(
        ["function", "ncalls", "cumtime (s)", "per call"],
        [
            [f"`{where}`", ncalls, f"{cum:.3f}", per]
            for where, ncalls, cum, per in profile["functions"]
        ],
    )
    return [*out, "", "</details>", ""]


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
    out = [
        "",
        "## 4. Start-up to first answer",
        "",
        f"- salesbot restarts (s): {d['salesbot runs']}",
        f"- echo bot starts (s): {d['echo runs']}",
        f"- salesbot's first start in this run (s): {d['first start']}",
    ]
    if "phases" not in d:
        return out
    out += [
        "",
        "<details><summary><b>Where the start-up time goes</b>: phases from the bot's log, "
        "and the slowest imports</summary>",
        "",
        "**Phases**: one more start of each bot after the timed ones (not counted), through "
        "`bench/startup_trace.py`, which marks with a timestamp when main.py's imports are done "
        "and when each start-up function (settings, migrations, building the Application, the "
        "leadership, start_bot, getMe, post_init: the command menus, polling) begins and ends; "
        "with the bot's own log lines (to the millisecond). Times from the spawn; the time "
        "before the first line is the interpreter's own start.",
        "",
    ]
    for title, key in (("salesbot (main.py)", "phases"), ("the echo bot", "echo phases")):
        steps = d[key]
        if not steps:
            out += [f"{title}: the traced start failed (see the run's stderr).", ""]
            continue
        out += [f"{title}, answered in {ms(steps[-1][0])}:", ""]
        out += _md_table(
            ["after spawn", "since the previous", "event"],
            [
                [ms(at), ms(at - steps[i - 1][0]) if i else "", event]
                for i, (at, event) in enumerate(steps)
            ],
        )
        out.append("")
    imports = d["imports"]
    if "failed" in imports:
        out += [f"The `-X importtime` start failed: {imports['failed']}", ""]
    else:
        out += [
            "**Imports**: one more start of each, after the timed ones, with `python -X "
            "importtime` (which slows imports down; not counted in the figures). Cumulative "
            "time includes the module's own imports, so a module and the modules under it "
            "both appear; depth 0 is imported by the program itself.",
            "",
        ]
        for name in ("salesbot", "echo"):
            got = imports[name]
            out += [
                f"{'salesbot (main.py)' if name == 'salesbot' else 'the echo bot'}: "
                f"{got['modules']} modules, {got['total us'] / 1e6:.3f} s in all top-level "
                f"imports (that start answered in {got['seconds']:.2f} s).",
                "",
            ]
            out += _md_table(
                ["module", "depth", "self (µs)", "cumulative (µs)"],
                [
                    [f"`{module}`", str(depth), f"{own:,}", f"{cumulative:,}"]
                    for module, depth, own, cumulative in got["slowest"]
                ],
            )
            out.append("")
    return [*out, "</details>"]


def write(text: str) -> None:
    (ROOT / "BENCHMARKS.md").write_text(text, encoding="utf-8")
