"""Figure 3, due work and searches at scale: each operation a bot process runs against a large
database (1,000,000 customers, 5,000,000 touches) and a small one (10,000), on SQLite and
PostgreSQL. The databases come from ``bench.scale_data.build`` (the real migrations, then bulk
inserts), generated once in a process of their own, cached by size and generator, and brought
to the newest migration in place before each run:

- SQLite: ``.bench-cache/scale-<size>-g<hash>.db``
- PostgreSQL: database ``bench_<size>_g<hash>`` on the server of BENCH_POSTGRES_URL

The measuring itself runs in a child process (``bench.scale_child``), so its peak RSS is the
bot's and not the generator's. Targets: each operation under 50 ms at 1M (the whole tick under
500 ms), at most 2× its figure at the small size, and the process under 300 MB.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.common import CACHE, POSTGRES_URL, ROOT, Figure, ms, say

LIMIT = 0.050
TICK_LIMIT = 0.500
GROWTH_LIMIT = 2.0
RSS_LIMIT_MIB = 300
TARGET_SIZE = 1_000_000
TICK = "whole tick (every producer)"


def cache_key() -> str:
    """A short hash of the generator: a changed generator makes a new database. A newer
    schema does not: the cached database is brought to the newest migration in place (the
    real migrations, as a deployment would), see ``_upgrade``."""
    digest = hashlib.sha256((ROOT / "bench" / "scale_data.py").read_bytes())
    return f"g{digest.hexdigest()[:8]}"


def _upgrade(url: str) -> None:
    """Apply any migration newer than the cached database, then refresh the planner's
    statistics, in a process of its own."""
    code = (
        "from bot.db import Database\n"
        f"db = Database({url!r})\n"
        "db.upgrade()\n"
        "from sqlalchemy import text\n"
        "with db.engine.connect() as c:\n"
        "    c.execute(text('ANALYZE'))\n"
        "    c.commit()\n"
    )
    subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, check=True, stdout=sys.stderr, stderr=sys.stderr
    )


def sqlite_path(size: int) -> Path:
    return CACHE / f"scale-{size}-{cache_key()}.db"


def postgres_name(size: int) -> str:
    return f"bench_{size}_{cache_key()}"


def _postgres_url(name: str) -> str:
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


def _generate(url: str, size: int) -> None:
    """bench.scale_data.build in a process of its own (its memory is not the bot's)."""
    say(f"  generating {size:,} customers at {make_url(url).render_as_string()} (cached after)")
    started = time.perf_counter()
    code = f"from bench.scale_data import build; build({url!r}, {size})"
    subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, check=True, stdout=sys.stderr, stderr=sys.stderr
    )
    say(f"  generated in {time.perf_counter() - started:.0f} s")


def database_for(kind: str, size: int, *, regenerate: bool = False) -> str:
    """The URL of the cached database of ``size`` customers, generating it if missing."""
    if kind == "sqlite":
        path = sqlite_path(size)
        if regenerate and path.exists():
            path.unlink()
        if not path.exists():
            CACHE.mkdir(exist_ok=True)
            for stale in CACHE.glob(f"scale-{size}-*"):  # an older schema or generator
                say(f"  removing the outdated {stale.name}")
                stale.unlink()
            building = path.with_suffix(".building.db")
            for leftover in CACHE.glob(building.name + "*"):
                leftover.unlink()
            _generate(f"sqlite:///{building}", size)
            with sqlite3.connect(building) as connection:  # fold the WAL into the file
                connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            connection.close()
            building.rename(path)
            for leftover in CACHE.glob(building.name + "*"):
                leftover.unlink()
        _upgrade(f"sqlite:///{path}")
        return f"sqlite:///{path}"
    name = postgres_name(size)
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).first()
            if exists and regenerate:
                connection.execute(text(f'DROP DATABASE "{name}"'))
                exists = None
            if not exists:
                stale = connection.execute(
                    text("SELECT datname FROM pg_database WHERE datname LIKE :pattern"),
                    {"pattern": f"bench\\_{size}\\_%"},
                ).scalars()
                for old in list(stale):  # an older schema or generator
                    say(f"  dropping the outdated database {old}")
                    connection.execute(text(f'DROP DATABASE "{old}"'))
                building = f"{name}_building"
                connection.execute(text(f'DROP DATABASE IF EXISTS "{building}"'))
                connection.execute(text(f'CREATE DATABASE "{building}"'))
                _generate(_postgres_url(building), size)
                connection.execute(text(f'ALTER DATABASE "{building}" RENAME TO "{name}"'))
    finally:
        admin.dispose()
    _upgrade(_postgres_url(name))
    return _postgres_url(name)


def measure(url: str, runs: int) -> dict[str, Any]:
    """Run bench.scale_child on ``url``; its JSON answer."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.scale_child", url, str(runs)],
        cwd=ROOT,
        check=True,
        stdout=subprocess.PIPE,
        stderr=sys.stderr,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run(
    database: str, sizes: list[int], runs: int, *, regenerate: bool = False
) -> tuple[list[Figure], dict[str, Any]]:
    """Figures per operation (the largest size against its limit and against the smallest), the
    peak RSS, and the raw results (plans included) by size."""
    by_size: dict[int, dict[str, Any]] = {}
    for size in sizes:
        say(f"scale on {database}: {size:,} customers")
        url = database_for(database, size, regenerate=regenerate)
        started = time.perf_counter()
        by_size[size] = measure(url, runs)
        say(f"  measured in {time.perf_counter() - started:.0f} s")
    small, large = min(sizes), max(sizes)
    at_target = large >= TARGET_SIZE
    figures = []
    for name, result in by_size[large]["operations"].items():
        value = result["median"]
        limit = TICK_LIMIT if name.startswith(TICK) else LIMIT
        base = by_size[small]["operations"][name]["median"] if small != large else None
        growth = value / base if base else None
        shown = ms(value)
        if base is not None:
            shown += f" ({growth:.1f}× the {small:,} figure, {ms(base)})"
        met_limit = value < limit
        met_growth = growth is None or growth <= GROWTH_LIMIT
        figures.append(
            Figure(
                "scale",
                f"{name} @ {large:,}",
                database,
                shown,
                f"< {ms(limit).replace('.0 ', ' ')}"
                + (f", <= {GROWTH_LIMIT:g}×" if base is not None else "")
                + ("" if at_target else " (targets are for 1M)"),
                met_limit and met_growth,
                {"runs": result["runs"], "statements": result["statements"]},
            )
        )
    for size in sizes:
        rss = by_size[size]["peak_rss_mib"]
        figures.append(
            Figure(
                "scale",
                f"bot process peak RSS @ {size:,}",
                database,
                f"{rss:.0f} MiB",
                f"< {RSS_LIMIT_MIB} MiB",
                rss < RSS_LIMIT_MIB,
            )
        )
    return figures, {str(size): by_size[size] for size in sizes}
