"""A database at scale for measuring: teams, reps, managers, directors and an admin; customers
with their search forms, one contact each (some with birthdays, some linked to Telegram), five
touches each (visits and calls, some with open follow-ups due before or after ``NOW``), one deal
per two customers across the pipeline, and a few orders with instalments, quotes and tickets.

The data is laid out around ``NOW`` (a fixed instant): measure with a clock set near it.

    from bench.scale_data import NOW, build
    build("sqlite:////tmp/scale.db", 1_000_000)

.venv/bin/python bench/scale_data.py URL [customers, default 10000] [seed, default 1]

The schema comes from the real migrations; rows are bulk-written (SQLite: executemany on the
driver connection; PostgreSQL: COPY through psycopg), a chunk of customers at a time.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from bot.db import Database
from bot.parsing.search_forms import NameForms, name_forms
from models import Deal

NOW = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai, a Wednesday
CHUNK = 20_000  # customers written per transaction
TEAMS = 20
CUSTOMERS_PER_REP = 5_000
TOUCHES_PER_CUSTOMER = 5
HISTORY_DAYS = 730  # touches and deals spread over the two years before NOW
CITY = (31.2304, 121.4737)  # customers' places lie around it (bot.services.nearby)
CITY_SPAN = 0.32  # degrees of latitude either way

SHANGHAI = "Asia/Shanghai"
ZONES = (SHANGHAI, SHANGHAI, SHANGHAI, "Europe/Berlin", "Asia/Singapore")
OPEN_STAGES = ("lead", "qualified", "quoted", "negotiation", "contract_review")
STAGE_WEIGHTS = (("lead", 22), ("qualified", 16), ("quoted", 14), ("negotiation", 12))
STAGE_WEIGHTS += (("contract_review", 6), ("won", 15), ("lost", 15))
TIMEFRAMES = ("now", "3m", "6m", "12m", None, None)
CURRENCIES = ("CNY", "CNY", "CNY", "CNY", "USD", "EUR")

LATIN = [
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
    "Orient",
    "Dragon",
    "Phoenix",
    "Silver",
    "Maple",
    "Eastern",
    "Northern",
    "Delta",
    "Summit",
    "Crown",
    "Star",
    "Jade",
    "Ocean",
    "Alpine",
    "Harbor",
    "Vertex",
    "Prime",
]
LATIN_TAIL = ("Machinery", "Foods", "Trading", "Logistics", "Electric", "Textiles", "Chemicals")
LATIN_TAIL += ("Motors", "Packaging", "Plastics", "Industries", "Materials", "Co.", "Ltd.")
CITIES = [
    "上海",
    "杭州",
    "苏州",
    "北京",
    "广州",
    "深圳",
    "南京",
    "宁波",
    "天津",
    "成都",
    "武汉",
    "青岛",
    "厦门",
    "无锡",
    "重庆",
]
BRANDS = [
    "宏达",
    "绿源",
    "精工",
    "华信",
    "明珠",
    "永安",
    "恒通",
    "金盛",
    "瑞丰",
    "新华",
    "天成",
    "鑫源",
    "东方",
    "长城",
    "博远",
]
TRADES = [
    "机电",
    "科技",
    "模具",
    "电子",
    "贸易",
    "食品",
    "化工",
    "纺织",
    "物流",
    "建材",
    "汽配",
    "医疗",
    "包装",
    "五金",
    "塑胶",
]
SUFFIXES = ("有限公司", "股份有限公司", "", "集团")
PEOPLE = [
    "Li",
    "Wang",
    "Zhang",
    "Liu",
    "Chen",
    "Yang",
    "Huang",
    "Zhao",
    "Wu",
    "Zhou",
    "Xu",
    "Sun",
    "Ma",
    "Zhu",
    "Hu",
    "Guo",
]
GIVEN = [
    "Wei",
    "Na",
    "Min",
    "Jing",
    "Lei",
    "Yan",
    "Jun",
    "Hui",
    "Qiang",
    "Fang",
    "Tao",
    "Ping",
    "Hong",
    "Xin",
    "Bo",
    "Ling",
]
ZH_PEOPLE = [
    "李娜",
    "王伟",
    "张敏",
    "刘洋",
    "陈静",
    "杨磊",
    "黄艳",
    "赵军",
    "吴慧",
    "周强",
    "徐芳",
    "孙涛",
]


@dataclass
class Staff:
    """The people the generator made, by role (ids), for a benchmark to act as."""

    reps: list[int] = field(default_factory=list)
    managers: list[int] = field(default_factory=list)
    directors: list[int] = field(default_factory=list)
    admin: int = 0
    team_of: dict[int, int] = field(default_factory=dict)


def plan_staff(customers: int) -> tuple[int, int]:
    """How many reps and teams ``customers`` get: one rep per 5,000 (at least 2), in at most
    20 teams."""
    reps = max(2, customers // CUSTOMERS_PER_REP)
    return reps, max(1, min(TEAMS, reps // 2))


def build(url: str, customers: int, *, seed: int = 1) -> None:
    """Create the schema at ``url`` through the migrations and fill it with ``customers``
    customers and everything around them (see the module's docstring). ``url`` must hold an
    empty database (or schema)."""
    started = time.perf_counter()
    database = Database(url)
    database.upgrade()
    try:
        writer = _Writer(database.engine)
        try:
            _fill(writer, customers, random.Random(seed), started)
        finally:
            writer.close()
    finally:
        database.dispose()
    _say(started, f"done: {customers:,} customers")


# -- the rows ---------------------------------------------------------------------------------


def _fill(writer: _Writer, customers: int, rng: random.Random, started: float) -> None:
    staff = _people(writer, customers, rng)
    _say(started, f"{len(staff.reps)} reps in {len(set(staff.team_of.values()))} teams")
    forms_cache: dict[str, NameForms] = {}
    deal_has_last_activity = "last_activity_at" in Deal.__table__.c  # type: ignore[attr-defined]
    deals_made: list[tuple[int, int, int, int, str, datetime]] = []  # won deals, for orders
    open_deals: list[tuple[int, int, int, int]] = []  # (deal, customer, owner, contact) sample
    deal_id = change_id = touch_id = 0
    for first in range(1, customers + 1, CHUNK):
        last = min(first + CHUNK, customers + 1)
        rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name in _CHUNK_TABLES}
        for customer_id in range(first, last):
            owner = staff.reps[(customer_id - 1) % len(staff.reps)]
            name = _company_name(rng, customer_id)
            forms = forms_cache.get(name)
            if forms is None:
                forms = forms_cache[name] = name_forms(name)
            created = NOW - timedelta(days=HISTORY_DAYS + 200, seconds=rng.randrange(86400 * 300))
            place = _place(rng)
            rows["customer"].append(
                (
                    customer_id,
                    name,
                    forms.key,
                    forms.pinyin,
                    forms.initials,
                    owner,
                    rng.choice("ABCC"),
                    f"+86 21 {customer_id:08d}",
                    30,
                    Decimal("0.00"),
                    created,
                    created,
                    *place,
                )
            )
            rows["contact"].append(_contact(rng, customer_id, created))
            touch_times = sorted(
                NOW - timedelta(seconds=rng.randrange(86400 * HISTORY_DAYS))
                for _ in range(TOUCHES_PER_CUSTOMER)
            )
            for at in touch_times:
                touch_id += 1
                rows["touch"].append(_touch(rng, touch_id, customer_id, owner, at, place))
            if customer_id % 2:
                continue
            deal_id += 1
            stage = _weighted(rng, STAGE_WEIGHTS)
            deal_created = NOW - timedelta(seconds=rng.randrange(86400 * HISTORY_DAYS))
            moved = deal_created
            change_id += 1
            rows["deal_stage_change"].append(
                (change_id, deal_id, None, "lead", owner, deal_created, None)
            )
            if stage != "lead":
                moved = deal_created + (NOW - deal_created) * rng.random()
                change_id += 1
                lost = rng.choice(("price", "competitor", "timing")) if stage == "lost" else None
                rows["deal_stage_change"].append(
                    (change_id, deal_id, "lead", stage, owner, moved, lost)
                )
            closed = stage in ("won", "lost")
            amount = Decimal(rng.randrange(1_000, 500_000)) + Decimal(rng.randrange(100)) / 100
            currency = rng.choice(CURRENCIES)
            expected = (NOW + timedelta(days=rng.randrange(-30, 180))).date()
            last_touch = max((at for at in touch_times if at > deal_created), default=None)
            last_activity = max(filter(None, (deal_created, moved, last_touch)))
            row = (deal_id, customer_id, owner, f"Deal {deal_id}: {_thing(rng)}", amount)
            row += (currency, stage, _probability(stage), expected, rng.choice(TIMEFRAMES))
            row += (rng.choice(("referral", "website", "trade_show", None)),)
            row += ("price" if stage == "lost" else None, deal_created, moved, moved)
            row += (moved if closed else None,)
            if deal_has_last_activity:
                row += (last_activity,)
            rows["deal"].append(row)
            if stage == "won" and rng.random() < 0.01:
                deals_made.append((deal_id, customer_id, owner, customer_id, currency, moved))
            elif not closed and len(open_deals) < 5_000 and rng.random() < 0.02:
                open_deals.append((deal_id, customer_id, owner, customer_id))
        for table, table_rows in rows.items():
            columns = _COLUMNS[table]
            if table == "deal" and deal_has_last_activity:
                columns = (*columns, "last_activity_at")
            writer.write(table, columns, table_rows)
        writer.commit()
        _say(started, f"{last - 1:,} customers, {touch_id:,} touches, {deal_id:,} deals")
    _orders(writer, rng, deals_made, staff)
    _quotes(writer, rng, open_deals)
    _tickets(writer, rng, customers, staff)
    writer.commit()
    writer.finish(
        {
            "team": len(set(staff.team_of.values())),
            "user": staff.admin,
            "customer": customers,
            "contact": customers,
            "touch": touch_id,
            "deal": deal_id,
            "deal_stage_change": change_id,
        }
    )
    _say(started, f"{len(deals_made)} orders, {len(open_deals)} quotes written")


def _people(writer: _Writer, customers: int, rng: random.Random) -> Staff:
    reps, teams = plan_staff(customers)
    created = NOW - timedelta(days=HISTORY_DAYS + 300)
    writer.write(
        "team",
        ("id", "name", "created_at"),
        [(n, f"Team {n}", created) for n in range(1, teams + 1)],
    )
    staff = Staff()
    users: list[tuple[Any, ...]] = []

    def person(role: str, team: int | None, name: str) -> int:
        user_id = len(users) + 1
        zone = SHANGHAI if role != "rep" else rng.choice(ZONES)
        language = "zh" if rng.random() < 0.3 else "en"
        users.append(
            (user_id, 10000000 + user_id, name, language, zone, role, team, True, created, created)
        )
        if team is not None:
            staff.team_of[user_id] = team
        return user_id

    for n in range(reps):
        team = n % teams + 1
        staff.reps.append(person("rep", team, f"{rng.choice(PEOPLE)} {rng.choice(GIVEN)} {n}"))
    for team in range(1, teams + 1):
        staff.managers.append(person("manager", team, f"Manager {team}"))
    for n in range(2):
        staff.directors.append(person("director", None, f"Director {n + 1}"))
    staff.admin = person("admin", None, "Admin")
    writer.write("user", _COLUMNS["user"], users)
    writer.commit()
    return staff


def _company_name(rng: random.Random, number: int) -> str:
    if rng.random() < 0.4:
        base = rng.choice(CITIES) + rng.choice(BRANDS) + rng.choice(TRADES)
        base += rng.choice(SUFFIXES)
    else:
        base = f"{rng.choice(LATIN)} {rng.choice(LATIN)} {rng.choice(LATIN_TAIL)}"
    return f"{base} {number % 97}" if rng.random() < 0.5 else base


def _contact(rng: random.Random, customer_id: int, created: datetime) -> tuple[Any, ...]:
    chinese = rng.random() < 0.5
    name = rng.choice(ZH_PEOPLE) if chinese else f"{rng.choice(PEOPLE)} {rng.choice(GIVEN)}"
    birthday = rng.random() < 0.3
    month = rng.randrange(1, 13) if birthday else None
    day = rng.randrange(1, 29) if birthday else None
    linked = rng.random() < 0.05
    return (
        customer_id,
        customer_id,
        name,
        rng.choice(("Buyer", "Owner", None)),
        f"+86 138 {customer_id:08d}",
        month,
        day,
        rng.randrange(1960, 2000) if birthday else None,
        "zh" if chinese else "en",
        None,
        linked,
        50000000 + customer_id if linked else None,
        created,
        created,
    )


def _place(rng: random.Random) -> tuple[float | None, float | None]:
    """Four in five customers have a place, spread over a city of about 70 × 70 km."""
    if rng.random() < 0.2:
        return None, None
    return (
        round(CITY[0] + rng.uniform(-CITY_SPAN, CITY_SPAN), 6),
        round(CITY[1] + rng.uniform(-CITY_SPAN, CITY_SPAN) * 1.17, 6),
    )


def _touch(
    rng: random.Random,
    touch_id: int,
    customer_id: int,
    author: int,
    at: datetime,
    place: tuple[float | None, float | None],
) -> tuple[Any, ...]:
    follow_up = done = None
    has_time = False
    step = None
    if rng.random() < 0.3:
        has_time = rng.random() < 0.5
        follow_up = at + timedelta(days=rng.randrange(1, 15))
        if has_time:
            follow_up = follow_up.replace(minute=0, second=0, microsecond=0)
        else:  # a date alone: local midnight
            local = follow_up.astimezone(ZoneInfo(SHANGHAI)).date()
            follow_up = datetime.combine(local, datetime.min.time(), ZoneInfo(SHANGHAI))
            follow_up = follow_up.astimezone(UTC)
        # Old follow-ups were done; some of the last week's are still open.
        if follow_up < NOW - timedelta(days=7) or (follow_up < NOW and rng.random() < 0.5):
            done = follow_up + timedelta(hours=rng.randrange(1, 48))
        step = "call back about the offer"
    kind = rng.choice(("visit", "call", "call"))
    checked_in = place if kind == "visit" and rng.random() < 0.5 else (None, None)
    return (
        touch_id,
        customer_id,
        author,
        kind,
        f"{kind} {touch_id}",
        step,
        follow_up,
        has_time,
        done,
        at,
        at,
        *checked_in,
    )


def _weighted(rng: random.Random, choices: Sequence[tuple[str, int]]) -> str:
    return rng.choices([key for key, _ in choices], [weight for _, weight in choices])[0]


def _probability(stage: str) -> int:
    probabilities = {"lead": 10, "qualified": 25, "quoted": 50, "negotiation": 70}
    probabilities |= {"contract_review": 90, "won": 100, "lost": 0}
    return probabilities[stage]


def _thing(rng: random.Random) -> str:
    return rng.choice(("CNC lathes", "forklifts", "packaging line", "雕刻机", "注塑机", "pumps"))


def _orders(
    writer: _Writer,
    rng: random.Random,
    won: list[tuple[int, int, int, int, str, datetime]],
    staff: Staff,
) -> None:
    orders, instalments = [], []
    instalment_id = 0
    for order_id, (deal_id, customer_id, owner, _, currency, _won_at) in enumerate(won, 1):
        total = Decimal(rng.randrange(10_000, 200_000))
        created = NOW - timedelta(days=rng.randrange(1, 90))
        delivery = (created + timedelta(days=rng.randrange(5, 40))).date()
        delivered = (
            datetime.combine(delivery, datetime.min.time(), UTC) + timedelta(hours=3)
            if delivery < NOW.date()
            else None
        )
        paid = total / 3 if rng.random() < 0.5 else Decimal("0.00")
        orders.append(
            (
                order_id,
                f"SO-{order_id:06d}",
                deal_id,
                customer_id,
                owner,
                owner,
                owner,
                total,
                paid.quantize(Decimal("0.01")),
                currency,
                delivery,
                delivered,
                owner,
                created,
                created,
            )
        )
        third = (total / 3).quantize(Decimal("0.01"))
        for sequence in range(1, 4):
            instalment_id += 1
            amount = third if sequence < 3 else total - 2 * third
            due = (created + timedelta(days=30 * sequence)).date()
            instalments.append((instalment_id, order_id, sequence, amount, due))
    writer.write("sales_order", _COLUMNS["sales_order"], orders)
    writer.write("instalment", _COLUMNS["instalment"], instalments)
    writer.finish_one("sales_order", len(orders))
    writer.finish_one("instalment", instalment_id)


def _quotes(writer: _Writer, rng: random.Random, deals: list[tuple[int, int, int, int]]) -> None:
    quotes = []
    for quote_id, (deal_id, customer_id, owner, contact) in enumerate(deals, 1):
        total = Decimal(rng.randrange(5_000, 300_000))
        created = NOW - timedelta(days=rng.randrange(0, 30), hours=rng.randrange(24))
        status = rng.choice(("issued", "issued", "issued", "pending_manager", "rejected"))
        issued = status == "issued"
        valid = (created + timedelta(days=rng.randrange(10, 40))).date() if issued else None
        quotes.append(
            (
                quote_id,
                f"Q-{quote_id:06d}" if issued else None,
                deal_id,
                customer_id,
                owner,
                status,
                "CNY",
                total,
                Decimal("0.00"),
                total,
                Decimal("10.00"),
                False,
                valid,
                created,
                created if issued else None,
                contact if issued else None,
                created if issued else None,
            )
        )
    writer.write("quote", _COLUMNS["quote"], quotes)
    writer.finish_one("quote", len(quotes))


def _tickets(writer: _Writer, rng: random.Random, customers: int, staff: Staff) -> None:
    tickets = []
    for ticket_id, customer_id in enumerate(range(7, customers + 1, 500), 1):
        owner = staff.reps[(customer_id - 1) % len(staff.reps)]
        created = NOW - timedelta(days=rng.randrange(0, 60))
        status = rng.choice(("open", "in_progress", "resolved", "resolved"))
        resolved = created + timedelta(days=1) if status == "resolved" else None
        tickets.append(
            (
                ticket_id,
                customer_id,
                owner,
                rng.choice(("complaint", "repair", "question")),
                "It makes a noise",
                status,
                created + timedelta(days=rng.randrange(1, 10)),
                owner,
                created,
                created,
                resolved,
            )
        )
    writer.write("ticket", _COLUMNS["ticket"], tickets)
    writer.finish_one("ticket", len(tickets))


_COLUMNS: dict[str, tuple[str, ...]] = {
    "user": [
        "id",
        "telegram_id",
        "full_name",
        "language",
        "timezone",
        "role",
        "team_id",
        "is_active",
        "created_at",
        "updated_at",
    ],
    "customer": [
        "id",
        "name",
        "search_key",
        "name_pinyin",
        "name_initials",
        "owner_id",
        "tier",
        "phone",
        "payment_terms_days",
        "credit_limit",
        "created_at",
        "updated_at",
        "latitude",
        "longitude",
    ],
    "contact": [
        "id",
        "customer_id",
        "name",
        "title",
        "phone",
        "birth_month",
        "birth_day",
        "birth_year",
        "language",
        "timezone",
        "opted_in",
        "telegram_chat_id",
        "created_at",
        "updated_at",
    ],
    "touch": [
        "id",
        "customer_id",
        "author_id",
        "kind",
        "notes",
        "next_step",
        "follow_up_at",
        "follow_up_has_time",
        "follow_up_done_at",
        "created_at",
        "updated_at",
        "latitude",
        "longitude",
    ],
    "deal": [
        "id",
        "customer_id",
        "owner_id",
        "title",
        "amount",
        "currency",
        "stage_key",
        "probability",
        "expected_close",
        "timeframe",
        "source",
        "lost_reason",
        "created_at",
        "updated_at",
        "stage_changed_at",
        "closed_at",
    ],
    "deal_stage_change": [
        "id",
        "deal_id",
        "from_stage",
        "to_stage",
        "changed_by_id",
        "changed_at",
        "lost_reason",
    ],
    "sales_order": [
        "id",
        "number",
        "deal_id",
        "customer_id",
        "owner_id",
        "delivery_owner_id",
        "payment_owner_id",
        "total",
        "paid_total",
        "currency",
        "delivery_date",
        "delivered_at",
        "created_by_id",
        "created_at",
        "updated_at",
    ],
    "instalment": ["id", "order_id", "sequence", "amount", "due_date"],
    "quote": [
        "id",
        "number",
        "deal_id",
        "customer_id",
        "owner_id",
        "status",
        "currency",
        "subtotal",
        "overall_discount_pct",
        "total",
        "max_discount_pct",
        "below_floor",
        "valid_until",
        "created_at",
        "issued_at",
        "sent_to_contact_id",
        "sent_at",
    ],
    "ticket": [
        "id",
        "customer_id",
        "owner_id",
        "kind",
        "description",
        "status",
        "due_at",
        "created_by_id",
        "created_at",
        "updated_at",
        "resolved_at",
    ],
}
_COLUMNS = {table: tuple(columns) for table, columns in _COLUMNS.items()}
# Written a chunk of customers at a time, in this order (foreign keys).
_CHUNK_TABLES = ("customer", "contact", "touch", "deal", "deal_stage_change")


# -- writing ----------------------------------------------------------------------------------


class _Writer:
    """Bulk rows into one table at a time, on the driver's own connection."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sqlite = engine.dialect.name == "sqlite"
        self.raw: Any = engine.raw_connection()
        if self.sqlite:
            cursor = self.raw.cursor()
            cursor.execute("PRAGMA foreign_keys=OFF")
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA cache_size=-400000")
            cursor.close()

    def write(self, table: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> None:
        rows = list(rows)
        if not rows:
            return
        names = ", ".join(f'"{column}"' for column in columns)
        cursor = self.raw.cursor()
        try:
            if self.sqlite:
                marks = ", ".join("?" for _ in columns)
                cursor.executemany(
                    f'INSERT INTO "{table}" ({names}) VALUES ({marks})',
                    [tuple(_sqlite_value(value) for value in row) for row in rows],
                )
            else:
                with cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(row)
        finally:
            cursor.close()

    def commit(self) -> None:
        self.raw.commit()

    def finish(self, counts: dict[str, int]) -> None:
        for table, count in counts.items():
            self.finish_one(table, count)
        self.commit()

    def finish_one(self, table: str, count: int) -> None:
        """Move PostgreSQL's id sequence past the ids written by hand."""
        if self.sqlite or not count:
            return
        cursor = self.raw.cursor()
        try:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), {int(count)})"
            )
        finally:
            cursor.close()

    def close(self) -> None:
        if self.sqlite:
            cursor = self.raw.cursor()
            cursor.execute("ANALYZE")
            cursor.close()
        else:
            self.raw.commit()
            cursor = self.raw.cursor()
            cursor.execute("ANALYZE")
            cursor.close()
        self.raw.commit()
        self.raw.close()


def _sqlite_value(value: Any) -> Any:
    """A value as SQLAlchemy stores it in SQLite: UTC instants as naive text, money as REAL."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bool):
        return int(value)
    return value


def _say(started: float, message: str) -> None:
    print(f"[{time.perf_counter() - started:7.1f} s] {message}", flush=True)


if __name__ == "__main__":
    build(
        sys.argv[1],
        int(sys.argv[2]) if len(sys.argv) > 2 else 10_000,
        seed=int(sys.argv[3]) if len(sys.argv) > 3 else 1,
    )
