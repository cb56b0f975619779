"""How long a customer search takes as the customer list grows (run by hand, prints figures).

.venv/bin/python bench/search_customers.py [number of customers, default 5000]
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bot.db import Database
from bot.services import customers, people
from bot.services.records import set_customer_name
from models import Customer, Role

WORDS = [
    "Acme",
    "Pacific",
    "Golden",
    "Harvest",
    "Bright",
    "Way",
    "Steel",
    "Works",
    "Lotus",
    "Sunrise",
    "Solar",
    "River",
    "Tools",
]
CHINESE = [
    "上海",
    "宏达",
    "机电",
    "杭州",
    "绿源",
    "科技",
    "苏州",
    "精工",
    "模具",
    "北京",
    "华信",
    "电子",
    "广州",
    "明珠",
    "贸易",
]


def main(count: int) -> None:
    now = datetime(2026, 11, 25, tzinfo=UTC)
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite:///{Path(folder) / 'bench.db'}")
        db.upgrade()
        with db.session() as session:
            admin, _ = people.resolve_actor(
                session,
                people.Profile(1, "Admin", None, "en"),
                admin_ids={1},
                default_timezone="UTC",
                now=now,
            )
            assert admin is not None and admin.role == Role.ADMIN
            for number in range(count):
                if number % 3:
                    name = " ".join(rng.sample(WORDS, 2)) + f" {number}"
                else:
                    name = "".join(rng.sample(CHINESE, 3)) + "有限公司"
                customer = Customer(name=name, owner_id=admin.user_id, created_at=now)
                set_customer_name(customer, name)
                session.add(customer)
        queries = ["acme", "acne steel", "宏达", "golden harvest 12", "zzzz"]
        timings = []
        for _ in range(5):
            for query in queries:
                with db.session() as session:
                    started = time.perf_counter()
                    customers.search_customers(session, admin, query)
                    timings.append(time.perf_counter() - started)
        db.dispose()
    print(f"customers: {count}")
    print(f"searches: {len(timings)}")
    print(f"median: {statistics.median(timings) * 1000:.1f} ms")
    print(f"max: {max(timings) * 1000:.1f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
