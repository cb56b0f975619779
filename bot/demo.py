"""A small demo company for ``--console``: an admin, a director, a manager with two reps, a
dozen customers with contacts and a few products. Seeded once, into an empty demo database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session, func, select

from models import Contact, Customer, Product, Role, Team, User


@dataclass(frozen=True)
class DemoPerson:
    key: str
    telegram_id: int
    first_name: str
    last_name: str
    role: Role | None  # None: a customer contact, not staff
    in_team: bool

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def description(self) -> str:
        return self.role.value if self.role is not None else "customer contact"


DEMO_TEAM = "East China"
DEMO_PEOPLE = (
    DemoPerson("admin", 700001, "Alice", "Admin", Role.ADMIN, False),
    DemoPerson("director", 700002, "David", "Zhou", Role.DIRECTOR, False),
    DemoPerson("manager", 700003, "Mei", "Lin", Role.MANAGER, True),
    DemoPerson("rep1", 700004, "Tom", "Chen", Role.REP, True),
    DemoPerson("rep2", 700005, "Sara", "Wu", Role.REP, True),
)
DEMO_ADMIN = DEMO_PEOPLE[0]
# Li Na of Acme Machinery, who has linked her Telegram and agreed to messages.
DEMO_CONTACT = DemoPerson("contact", 700101, "Na", "Li", None, False)
DEMO_CONTACT_NAME = "Li Na"

# name, owner key, tier, industry, phone, (contact name, title, phone, birthday month/day)
_CUSTOMERS = (
    (
        "Acme Machinery",
        "rep1",
        "A",
        "Manufacturing",
        "+86 21 5555 0101",
        ("Li Na", "Purchasing manager", "+86 138 0000 0101", (3, 14)),
    ),
    (
        "上海宏达机电有限公司",
        "rep1",
        "A",
        "Machinery",
        "+86 21 5555 0102",
        ("王伟", "采购经理", "+86 139 0000 0102", (11, 25)),
    ),
    (
        "Brightway Logistics",
        "rep1",
        "B",
        "Logistics",
        "+86 21 5555 0103",
        ("Zhang Min", "Operations director", "+86 137 0000 0103", (7, 2)),
    ),
    (
        "Golden Harvest Foods",
        "rep1",
        "C",
        "Food",
        "+86 21 5555 0104",
        ("Chen Jie", "Owner", "+86 136 0000 0104", None),
    ),
    (
        "杭州绿源科技",
        "rep1",
        "B",
        "Electronics",
        "+86 571 5555 0105",
        ("刘洋", "技术总监", "+86 135 0000 0105", (1, 30)),
    ),
    (
        "Northstar Retail",
        "rep1",
        "C",
        "Retail",
        "+86 21 5555 0106",
        ("Zhao Lei", "Store manager", "+86 134 0000 0106", (5, 9)),
    ),
    (
        "Pacific Steel Works",
        "rep2",
        "A",
        "Steel",
        "+86 512 5555 0201",
        ("Sun Hui", "Plant manager", "+86 133 0000 0201", (9, 18)),
    ),
    (
        "苏州精工模具厂",
        "rep2",
        "B",
        "Tooling",
        "+86 512 5555 0202",
        ("周杰", "厂长", "+86 132 0000 0202", (12, 1)),
    ),
    (
        "Evergreen Hospitals",
        "rep2",
        "A",
        "Healthcare",
        "+86 25 5555 0203",
        ("Wu Fang", "Procurement lead", "+86 131 0000 0203", (4, 22)),
    ),
    (
        "Lotus Textiles",
        "rep2",
        "C",
        "Textiles",
        "+86 573 5555 0204",
        ("Xu Ying", "Buyer", "+86 130 0000 0204", None),
    ),
    (
        "Riverside Construction",
        "rep2",
        "B",
        "Construction",
        "+86 25 5555 0205",
        ("Ma Jun", "Project manager", "+86 186 0000 0205", (8, 8)),
    ),
    (
        "Sunrise Solar",
        "rep2",
        "C",
        "Energy",
        "+86 21 5555 0206",
        ("He Ping", "CEO", "+86 187 0000 0206", (2, 29)),
    ),
)


# sku, name, unit, list price (CNY), floor price
_PRODUCTS = (
    ("CNC-100", "CNC lathe 100", "pc", "120000.00", "100000.00"),
    ("CNC-200", "CNC lathe 200", "pc", "185000.00", "160000.00"),
    ("SP-1", "Spindle 主轴", "pc", "8800.00", None),
    ("TL-SET", "Tool set 刀具套装", "set", "2400.00", "2000.00"),
    ("SVC-Y", "Service contract, one year", "year", "15000.00", None),
)


def seed_demo_company(session: Session, *, now: datetime, timezone: str) -> bool:
    """Fill an empty database with the demo company; return False if it already had people."""
    if session.exec(select(func.count()).select_from(User)).one() > 0:
        return False
    team = Team(name=DEMO_TEAM, created_at=now)
    session.add(team)
    session.flush()
    users: dict[str, User] = {}
    for person in DEMO_PEOPLE:
        assert person.role is not None
        user = User(
            telegram_id=person.telegram_id,
            full_name=person.full_name,
            language="en",
            timezone=timezone,
            role=person.role,
            team_id=team.id if person.in_team else None,
            created_at=now,
            updated_at=now,
        )
        session.add(user)
        users[person.key] = user
    session.flush()
    for sku, product_name, unit, price, floor in _PRODUCTS:
        session.add(
            Product(
                sku=sku,
                name=product_name,
                unit=unit,
                list_price=Decimal(price),
                currency="CNY",
                floor_price=Decimal(floor) if floor else None,
                created_at=now,
                updated_at=now,
            )
        )
    for name, owner, tier, industry, phone, contact in _CUSTOMERS:
        owner_id = users[owner].id
        assert owner_id is not None
        customer = Customer(
            name=name,
            owner_id=owner_id,
            tier=tier,
            industry=industry,
            phone=phone,
            payment_terms_days=30,
            credit_limit=Decimal("50000.00") if tier == "A" else Decimal("10000.00"),
            created_at=now,
            updated_at=now,
        )
        session.add(customer)
        session.flush()
        assert customer.id is not None
        contact_name, title, contact_phone, birthday = contact
        session.add(
            Contact(
                customer_id=customer.id,
                name=contact_name,
                title=title,
                phone=contact_phone,
                birth_month=birthday[0] if birthday else None,
                birth_day=birthday[1] if birthday else None,
                language="zh" if not contact_name.isascii() else "en",
                telegram_chat_id=(
                    DEMO_CONTACT.telegram_id if contact_name == DEMO_CONTACT_NAME else None
                ),
                opted_in=contact_name == DEMO_CONTACT_NAME,
                created_at=now,
                updated_at=now,
            )
        )
    return True
