"""End to end: finding a Chinese customer name as people type it on a phone — pinyin, pinyin
initials, mixed input, part of the name, Traditional characters — from the names' stored search
forms; a renamed customer is found by its new pinyin; a Traditional spelling of an existing name
is a duplicate; the migration fills the forms of customers that were there before it."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from alembic import command
from sqlmodel import select

from bot.db import Database, alembic_config, create_db_engine
from bot.emulator import BotAPIEmulator
from bot.local import LocalBot
from bot.services.records import edit_customer
from models import Customer
from models.base import UTCDateTime
from tests.flows import SalesTeam, actor_of, add_customer, sales_team

TONGYONG = "上海通用汽车"
HONGDA = "上海宏达机电有限公司"
CHANGAN = "重庆长安汽车"
ACME = "Acme Machinery"


async def seeded(bot: LocalBot, emulator: BotAPIEmulator, db: Database) -> SalesTeam:
    team = await sales_team(bot, emulator)
    for name in (TONGYONG, HONGDA, CHANGAN, ACME):
        add_customer(db, team.tom, name)
    add_customer(db, team.ken, "上海通用机械")  # another team's: Tom never sees it
    return team


async def found(bot: LocalBot, team: SalesTeam, query: str) -> list[str]:
    answer = await bot.send(team.tom, query)
    return answer[0].button_texts()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("tongyong", [TONGYONG]),
        ("shty", [TONGYONG]),
        ("shtyqc", [TONGYONG]),
        ("上海ty", [TONGYONG]),
        ("通用", [TONGYONG]),
        ("chongqing", [CHANGAN]),  # 重 read as chong in 重庆
        ("cqca", [CHANGAN]),
        ("hongda", [HONGDA]),
        ("長安", [CHANGAN]),  # Traditional
        ("宏達", [HONGDA]),
        ("beijing", []),
    ],
)
async def test_pinyin_initials_and_traditional_find_the_chinese_name(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, query: str, expected: list[str]
) -> None:
    team = await seeded(bot, emulator, db)
    assert await found(bot, team, query) == expected


async def test_a_more_specific_match_ranks_first(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await seeded(bot, emulator, db)

    shanghai = await found(bot, team, "shanghai")
    assert sorted(shanghai) == sorted([TONGYONG, HONGDA])
    more_specific = await found(bot, team, "上海通用")
    assert more_specific[0] == TONGYONG and CHANGAN not in more_specific
    assert "上海通用机械" not in more_specific  # Ken's
    traditional = await found(bot, team, "上海通用汽車")
    assert traditional[0] == TONGYONG and CHANGAN not in traditional
    # No whole match: the longer run of shared characters (上海通用) comes first.
    closest = await found(bot, team, "上海通用机电")
    assert closest[:2] == [TONGYONG, HONGDA]
    # The Latin names are found as before, typos too.
    assert (await found(bot, team, "acne machinary"))[0] == ACME
    with db.session() as session:
        changan = session.exec(select(Customer).where(Customer.name == CHANGAN)).one()
    assert (changan.name_pinyin, changan.name_initials) == ("chongqingchanganqiche", "cqcaqc")


async def test_a_renamed_customer_is_found_by_its_new_pinyin(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await seeded(bot, emulator, db)
    with db.session() as session:
        customer = session.exec(select(Customer).where(Customer.name == TONGYONG)).one()
        assert customer.id is not None
        edit_customer(
            session,
            actor_of(db, team.tom.id),
            customer.id,
            "name",
            "杭州绿源科技",
            now=datetime(2026, 11, 25, 9, 0, tzinfo=UTC),
        )

    assert await found(bot, team, "lvyuan") == ["杭州绿源科技"]
    assert await found(bot, team, "hzly") == ["杭州绿源科技"]
    assert await found(bot, team, "tongyong") == []
    with db.session() as session:
        renamed = session.exec(select(Customer).where(Customer.name == "杭州绿源科技")).one()
    assert (renamed.search_key, renamed.name_pinyin, renamed.name_initials) == (
        "杭州绿源科技",
        "hangzhoulvyuankeji",
        "hzlykj",
    )


async def test_a_traditional_spelling_of_a_customer_is_a_duplicate(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await seeded(bot, emulator, db)
    await bot.send(team.tom, "/newcustomer 上海通用汽車")
    await bot.press(team.tom, "Skip")
    await bot.press(team.tom, "Skip")

    offer = team.tom.last()
    assert "This looks like a customer you already have" in offer.text
    assert offer.button_texts() == [TONGYONG, "Create a new one anyway"]


def test_the_migration_fills_the_forms_of_customers_already_there(database_url: str) -> None:
    engine = create_db_engine(database_url)
    try:
        config = alembic_config(engine)
        command.upgrade(config, "0012")
        now = datetime(2026, 11, 1, tzinfo=UTC)
        user = sa.table(
            "user",
            sa.column("id", sa.Integer),
            sa.column("telegram_id", sa.BigInteger),
            sa.column("full_name", sa.String),
            sa.column("language", sa.String),
            sa.column("timezone", sa.String),
            sa.column("role", sa.String),
            sa.column("is_active", sa.Boolean),
            sa.column("created_at", UTCDateTime()),
            sa.column("updated_at", UTCDateTime()),
        )
        customer = sa.table(
            "customer",
            sa.column("name", sa.String),
            sa.column("owner_id", sa.Integer),
            sa.column("payment_terms_days", sa.Integer),
            sa.column("credit_limit", sa.Numeric(14, 2)),
            sa.column("created_at", UTCDateTime()),
            sa.column("updated_at", UTCDateTime()),
        )
        with engine.begin() as connection:
            owner_id = connection.execute(
                user.insert()
                .values(
                    telegram_id=1,
                    full_name="Tom",
                    language="en",
                    timezone="UTC",
                    role="rep",
                    is_active=True,
                    created_at=now,
                    updated_at=now,
                )
                .returning(user.c.id)
            ).scalar_one()
            for name in ("重慶長安汽車", "Acme Machinery Co., Ltd."):
                connection.execute(
                    customer.insert().values(
                        name=name,
                        owner_id=owner_id,
                        payment_terms_days=30,
                        credit_limit=Decimal("0.00"),
                        created_at=now,
                        updated_at=now,
                    )
                )

        command.upgrade(config, "head")

        with engine.connect() as connection:
            rows = connection.execute(
                sa.text(
                    "SELECT name, search_key, name_pinyin, name_initials FROM customer ORDER BY id"
                )
            ).all()
        assert [tuple(row) for row in rows] == [
            ("重慶長安汽車", "重庆长安汽车", "chongqingchanganqiche", "cqcaqc"),
            (
                "Acme Machinery Co., Ltd.",
                "acme machinery",
                "acmemachinerycoltd",
                "acmemachinerycoltd",
            ),
        ]
    finally:
        engine.dispose()
