"""The demo companies for ``--console``: an admin, a director, a manager with three reps (one of
them, 王伟, uses Telegram in Chinese), customers with contacts and a few products. Seeded once,
into an empty demo database: the English company, or with ``--lang zh`` a Chinese one (Chinese
names and profiles, products in CNY)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TypeAlias

from sqlmodel import Session, func, select

from bot.services.people import language_of_code, person_name
from bot.services.records import set_customer_name
from models import Contact, Customer, Product, Role, Team, User


@dataclass(frozen=True)
class DemoPerson:
    key: str
    telegram_id: int
    first_name: str
    last_name: str
    role: Role | None  # None: a customer contact, not staff
    in_team: bool
    language_code: str = "en"  # what their Telegram client tells the bot

    @property
    def full_name(self) -> str:
        """As the bot registers them: 王伟 from first name 伟 and last name 王, else Tom Chen."""
        return person_name(self.first_name, self.last_name)

    @property
    def language(self) -> str:
        """The bot's language for them, from their Telegram profile."""
        return language_of_code(self.language_code)

    @property
    def kind(self) -> str:
        """Their role's key (``rep``…), or ``contact`` for a customer contact."""
        return self.role.value if self.role is not None else "contact"


# (contact name, title, phone, birthday month/day)
DemoContact: TypeAlias = tuple[str, str, str, tuple[int, int] | None]
# name, owner key, tier, industry, phone, contact
DemoCustomer: TypeAlias = tuple[str, str, str, str, str, DemoContact | None]
# sku, name, unit, list price, floor price
DemoProduct: TypeAlias = tuple[str, str, str, str, str | None]


@dataclass(frozen=True)
class DemoCompany:
    language: str  # the language of the company's people, and of the console for them
    team: str
    people: tuple[DemoPerson, ...]  # as the console lists them, staff and the linked contact
    contact_name: str  # the name of the linked contact on her customer's record
    contact_company: str
    customers: tuple[DemoCustomer, ...]
    products: tuple[DemoProduct, ...]
    currency: str = "CNY"

    @property
    def staff(self) -> tuple[DemoPerson, ...]:
        return tuple(person for person in self.people if person.role is not None)

    @property
    def admin(self) -> DemoPerson:
        return next(person for person in self.people if person.role == Role.ADMIN)

    @property
    def contact(self) -> DemoPerson:
        return next(person for person in self.people if person.role is None)


# 王伟, a rep who uses Telegram in Chinese, and his customers: in both companies.
DEMO_REP3 = DemoPerson("rep3", 700006, "伟", "王", Role.REP, True, "zh-hans")
_REP3_CUSTOMERS: tuple[DemoCustomer, ...] = (
    (
        "上海通用汽车",
        "rep3",
        "A",
        "汽车",
        "+86 21 5555 0301",
        ("赵敏", "采购主管", "+86 138 0000 0301", (6, 6)),
    ),
    (
        "重庆长安汽车配件有限公司",
        "rep3",
        "B",
        "汽车配件",
        "+86 23 5555 0302",
        ("何静", "设备部经理", "+86 139 0000 0302", None),
    ),
    ("杭州绿源食品", "rep3", "C", "食品", "+86 571 5555 0303", None),
)

DEMO_TEAM = "East China"
# Li Na of Acme Machinery, who has linked her Telegram and agreed to messages.
DEMO_CONTACT = DemoPerson("contact", 700101, "Na", "Li", None, False)
DEMO_CONTACT_NAME = "Li Na"
DEMO_PEOPLE = (
    DemoPerson("admin", 700001, "Alice", "Admin", Role.ADMIN, False),
    DemoPerson("director", 700002, "David", "Zhou", Role.DIRECTOR, False),
    DemoPerson("manager", 700003, "Mei", "Lin", Role.MANAGER, True),
    DemoPerson("rep1", 700004, "Tom", "Chen", Role.REP, True),
    DemoPerson("rep2", 700005, "Sara", "Wu", Role.REP, True),
)
DEMO_ADMIN = DEMO_PEOPLE[0]
# Fay of finance, who decides requests to change a customer's terms after the manager.
DEMO_FINANCE = DemoPerson("finance", 700007, "Fay", "Huang", Role.FINANCE, False)

_CUSTOMERS: tuple[DemoCustomer, ...] = (
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

# list prices in CNY
_PRODUCTS: tuple[DemoProduct, ...] = (
    ("CNC-100", "CNC lathe 100", "pc", "120000.00", "100000.00"),
    ("CNC-200", "CNC lathe 200", "pc", "185000.00", "160000.00"),
    ("SP-1", "Spindle 主轴", "pc", "8800.00", None),
    ("TL-SET", "Tool set 刀具套装", "set", "2400.00", "2000.00"),
    ("SVC-Y", "Service contract, one year", "year", "15000.00", None),
)

DEMO_EN = DemoCompany(
    language="en",
    team=DEMO_TEAM,
    people=(*DEMO_PEOPLE, DEMO_CONTACT, DEMO_REP3, DEMO_FINANCE),
    contact_name=DEMO_CONTACT_NAME,
    contact_company="Acme Machinery",
    customers=(*_CUSTOMERS, *_REP3_CUSTOMERS),
    products=_PRODUCTS,
)

# The Chinese company: the same people (same keys and Telegram ids) with Chinese names and
# Telegram in Chinese; 李娜 of 上海宏达机电有限公司 is the linked contact.
DEMO_ZH = DemoCompany(
    language="zh",
    team="华东区",
    people=(
        DemoPerson("admin", 700001, "丽", "张", Role.ADMIN, False, "zh-hans"),
        DemoPerson("director", 700002, "大卫", "周", Role.DIRECTOR, False, "zh-hans"),
        DemoPerson("manager", 700003, "梅", "林", Role.MANAGER, True, "zh-hans"),
        DemoPerson("rep1", 700004, "涛", "陈", Role.REP, True, "zh-hans"),
        DemoPerson("rep2", 700005, "莎", "吴", Role.REP, True, "zh-hans"),
        DemoPerson("contact", 700101, "娜", "李", None, False, "zh-hans"),
        DEMO_REP3,
        DemoPerson("finance", 700007, "芳", "黄", Role.FINANCE, False, "zh-hans"),
    ),
    contact_name="李娜",
    contact_company="上海宏达机电有限公司",
    customers=(
        (
            "上海宏达机电有限公司",
            "rep1",
            "A",
            "机电设备",
            "+86 21 5555 0101",
            ("李娜", "采购经理", "+86 138 0000 0101", (3, 14)),
        ),
        (
            "顶峰机械制造有限公司",
            "rep1",
            "A",
            "机械制造",
            "+86 21 5555 0102",
            ("王建国", "生产经理", "+86 139 0000 0102", (11, 25)),
        ),
        (
            "博远物流",
            "rep1",
            "B",
            "物流",
            "+86 21 5555 0103",
            ("张敏", "运营总监", "+86 137 0000 0103", (7, 2)),
        ),
        (
            "金穗食品",
            "rep1",
            "C",
            "食品",
            "+86 21 5555 0104",
            ("陈杰", "老板", "+86 136 0000 0104", None),
        ),
        (
            "杭州绿源科技",
            "rep1",
            "B",
            "电子",
            "+86 571 5555 0105",
            ("刘洋", "技术总监", "+86 135 0000 0105", (1, 30)),
        ),
        (
            "北辰零售",
            "rep1",
            "C",
            "零售",
            "+86 21 5555 0106",
            ("赵磊", "店长", "+86 134 0000 0106", (5, 9)),
        ),
        (
            "太平洋钢铁",
            "rep2",
            "A",
            "钢铁",
            "+86 512 5555 0201",
            ("孙慧", "厂长", "+86 133 0000 0201", (9, 18)),
        ),
        (
            "苏州精工模具厂",
            "rep2",
            "B",
            "模具",
            "+86 512 5555 0202",
            ("周杰", "厂长", "+86 132 0000 0202", (12, 1)),
        ),
        (
            "常青医院",
            "rep2",
            "A",
            "医疗",
            "+86 25 5555 0203",
            ("吴芳", "采购主管", "+86 131 0000 0203", (4, 22)),
        ),
        (
            "莲花纺织",
            "rep2",
            "C",
            "纺织",
            "+86 573 5555 0204",
            ("徐颖", "采购员", "+86 130 0000 0204", None),
        ),
        (
            "江畔建设",
            "rep2",
            "B",
            "建筑",
            "+86 25 5555 0205",
            ("马军", "项目经理", "+86 186 0000 0205", (8, 8)),
        ),
        (
            "朝阳光伏",
            "rep2",
            "C",
            "能源",
            "+86 21 5555 0206",
            ("何平", "总经理", "+86 187 0000 0206", (2, 29)),
        ),
        *_REP3_CUSTOMERS,
    ),
    products=(
        ("CNC-100", "数控车床 100型", "台", "120000.00", "100000.00"),
        ("CNC-200", "数控车床 200型", "台", "185000.00", "160000.00"),
        ("SP-1", "主轴", "个", "8800.00", None),
        ("TL-SET", "刀具套装", "套", "2400.00", "2000.00"),
        ("SVC-Y", "一年期维保服务", "年", "15000.00", None),
    ),
)

DEMO_COMPANIES = {company.language: company for company in (DEMO_EN, DEMO_ZH)}


def demo_company_in(session: Session) -> DemoCompany | None:
    """Which demo company a demo database holds (by its team's name); None if it is empty."""
    if session.exec(select(func.count()).select_from(User)).one() == 0:
        return None
    chinese = session.exec(select(Team).where(Team.name == DEMO_ZH.team)).first()
    return DEMO_ZH if chinese is not None else DEMO_EN


def seed_demo_company(
    session: Session, *, now: datetime, timezone: str, company: DemoCompany = DEMO_EN
) -> bool:
    """Fill an empty database with the demo company; return False if it already had people."""
    if session.exec(select(func.count()).select_from(User)).one() > 0:
        return False
    team = Team(name=company.team, created_at=now)
    session.add(team)
    session.flush()
    users: dict[str, User] = {}
    for person in company.staff:
        assert person.role is not None
        user = User(
            telegram_id=person.telegram_id,
            full_name=person.full_name,
            language=person.language,
            timezone=timezone,
            role=person.role,
            team_id=team.id if person.in_team else None,
            created_at=now,
            updated_at=now,
        )
        session.add(user)
        users[person.key] = user
    session.flush()
    for sku, product_name, unit, price, floor in company.products:
        session.add(
            Product(
                sku=sku,
                name=product_name,
                unit=unit,
                list_price=Decimal(price),
                currency=company.currency,
                floor_price=Decimal(floor) if floor else None,
                created_at=now,
                updated_at=now,
            )
        )
    linked = company.contact
    for name, owner, tier, industry, phone, contact in company.customers:
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
        set_customer_name(customer, name)
        session.add(customer)
        session.flush()
        assert customer.id is not None
        if contact is None:
            continue
        contact_name, title, contact_phone, birthday = contact
        is_linked = contact_name == company.contact_name and name == company.contact_company
        session.add(
            Contact(
                customer_id=customer.id,
                name=contact_name,
                title=title,
                phone=contact_phone,
                birth_month=birthday[0] if birthday else None,
                birth_day=birthday[1] if birthday else None,
                language="zh" if not contact_name.isascii() else "en",
                telegram_chat_id=linked.telegram_id if is_linked else None,
                opted_in=is_linked,
                created_at=now,
                updated_at=now,
            )
        )
    return True
