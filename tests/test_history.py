"""End to end: *📜 History* on the customer, contact, deal, order and (for admins) person cards
shows the record's changes newest first, a page at a time, with who, when (the reader's zone)
and old → new written for the reader (money, days, stages and roles by their label, Chinese
for a Chinese reader); only to those who may see the card, a forged button for anyone else's
or a missing record answers "Not found."; and the rows shown are the ones in the database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlmodel import col, select

from bot.db import Database
from bot.emulator import BotAPIEmulator
from bot.local import LocalBot
from bot.services import orders, records
from bot.services.deals import DealDraft, create_deal
from models import ChangeEntry, Quote, Role
from tests.conftest import FakeClock
from tests.flows import (
    actor_of,
    add_customer,
    invite,
    join,
    link_contact,
    make_order,
    sales_team,
    texts,
    user_row,
)
from tests.test_deals import create_deal as create_deal_in_chat
from tests.test_quotes import add_products

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def history_rows(db: Database, kind: str, record_id: int) -> list[ChangeEntry]:
    with db.session() as session:
        return list(
            session.exec(
                select(ChangeEntry)
                .where(ChangeEntry.record_kind == kind, ChangeEntry.record_id == str(record_id))
                .order_by(col(ChangeEntry.id))
            )
        )


async def test_history_on_the_cards_with_visibility_paging_and_chinese(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    clock.current = NOW
    acme = add_customer(db, team.tom, "Acme Machinery", phone="+86 21 5555 0101", contact="Li Na")

    # Tom changes the phone from the card: the change is in the database under his name …
    await bot.send(team.tom, "acme")
    await bot.press(team.tom, "Acme Machinery")
    assert team.tom.last().button_texts()[-2:] == ["📜 History", "📍 Set location"]
    clock.advance(timedelta(minutes=5))
    await bot.press(team.tom, "✏️ Edit")
    await bot.press(team.tom, "☎️ Phone")
    await bot.send(team.tom, "+86 21 5555 0199")
    tom_id = actor_of(db, team.tom.id).user_id
    created, changed = history_rows(db, "customer", acme)
    assert (created.action, created.changed_by_id) == ("create", None)  # the test's own write
    assert (changed.field, changed.old_value, changed.new_value) == (
        "phone",
        "+86 21 5555 0101",
        "+86 21 5555 0199",
    )
    assert (changed.changed_by_id, changed.changed_at) == (tom_id, NOW + timedelta(minutes=5))

    # … and on the card's history, newest first, in Tom's zone (Shanghai).
    await bot.press(team.tom, "📜 History")
    page = team.tom.last().text
    assert page.startswith("📜 Acme Machinery: history")
    assert "20 Nov 2026 10:05 · Tom\n✏️ Phone: +86 21 5555 0101 → +86 21 5555 0199" in page
    assert "· system\n➕ Created: Name Acme Machinery; Owner Tom; Phone +86 21 5555 0101" in page
    assert "· system\nLi Na · ➕ Created: Name Li Na" in page
    assert page.index("✏️ Phone") < page.index("Name Acme Machinery")
    assert team.tom.last().button_texts() == ["◀ Customer"]

    # Sara (same team, not hers), Ken (other team) and a made-up id: "Not found." alike.
    for person, data in (
        (team.sara, f"hist:cus:{acme}:0"),
        (team.ken, f"hist:cus:{acme}:0"),
        (team.tom, "hist:cus:999999:0"),
        (team.tom, f"hist:usr:{tom_id}:0"),  # a person's history is for admins
    ):
        await bot.settle(await person.press_data(data))
        assert person.callback_answers[-1]["text"] == "Not found.", (person.id, data)
    # Their manager may see it.
    await bot.settle(await team.manager.press_data(f"hist:cus:{acme}:0"))
    assert "✏️ Phone: +86 21 5555 0101 → +86 21 5555 0199" in team.manager.last().text

    # A deal: its stage moved on the card, the value changed; money and stages by label.
    with db.session() as session:
        deal = create_deal(
            session,
            actor_of(db, team.tom.id),
            DealDraft(acme, "Lathe", Decimal("12000"), "CNY"),
            now=clock(),
        )
        deal_id = deal.id or 0
    clock.advance(timedelta(hours=1))
    await bot.settle(await team.tom.press_data(f"deal:open:{deal_id}"))
    assert team.tom.last().button_texts()[-1] == "📜 History"
    await bot.press(team.tom, "→ Qualified")
    await bot.press(team.tom, "📜 History")
    page = team.tom.last().text
    assert page.startswith("📜 Lathe: history")
    assert "11:05 · Tom\n✏️ Stage: Lead → Qualified" in page
    assert "✏️ Win probability: 10 → 25" in page
    assert "Amount CNY 12,000.00" in page
    assert team.tom.last().button_texts() == ["◀ Back to the deal"]
    await bot.settle(await team.ken.press_data(f"hist:deal:{deal_id}:0"))
    assert team.ken.callback_answers[-1]["text"] == "Not found."

    # Paging: ten more changes, eight to a page.
    with db.session() as session:
        for number in range(10):
            records.edit_customer(
                session,
                actor_of(db, team.tom.id),
                acme,
                "address",
                f"{number + 1} Century Ave",
                now=clock(),
            )
    await bot.settle(await team.tom.press_data(f"hist:cus:{acme}:0"))
    first = team.tom.last()
    assert first.text.count("✏️ Address") == 8 and "10 Century Ave" in first.text
    assert first.button_texts() == ["Older ▶", "◀ Customer"]
    await bot.press(team.tom, "Older ▶")
    second = team.tom.last()
    assert "page 2" in second.text and "✏️ Address: — → 1 Century Ave" in second.text
    assert "✏️ Phone" in second.text and "10 Century Ave" not in second.text
    assert second.button_texts() == ["◀ Newer", "◀ Customer"]

    # A person's history, for the admin: Tom's creation and a role change.
    await bot.settle(await team.admin.press_data(f"usr:view:{tom_id}:0"))
    assert team.admin.last().button_texts()[-1] == "📜 History"
    await bot.press(team.admin, "📜 History")
    page = team.admin.last().text
    assert page.startswith("📜 Tom: history")
    assert "➕ Created: Telegram id" not in page  # the id is left out
    assert "Role sales rep" in page and "Team North" in page

    # A Chinese-speaking manager of the team reads the same history in Chinese.
    code = await invite(bot, team.admin, Role.MANAGER, "North")
    wang = emulator.user(5301, "伟", last_name="王", language_code="zh-hans")
    await join(bot, wang, code)
    wang_row = user_row(db, wang.id)
    assert wang_row is not None and wang_row.language == "zh"
    await bot.settle(await wang.press_data(f"hist:deal:{deal_id}:0"))
    page = wang.last().text
    assert page.startswith("📜 Lathe：修改记录")
    assert "✏️ 阶段：线索 → 已确认需求" in page
    assert "金额 ¥12,000.00" in page
    assert "2026年11月20日 11:05 · Tom" in page
    assert wang.last().button_texts() == ["◀ 返回商机"]
    await bot.settle(await wang.press_data(f"hist:cus:{acme}:1"))
    assert "➕ 新建：名称 Acme Machinery；负责人 Tom" in wang.last().text
    assert "· 系统" in wang.last().text


async def test_order_and_contact_history(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    clock.current = NOW
    acme = add_customer(db, team.tom, "Acme Machinery", contact="Li Na")
    order_id, _ = make_order(
        db,
        team.tom,
        team.sara,
        acme,
        "Lathe",
        [("600.00", date(2026, 12, 10)), ("400.00", date(2027, 1, 10))],
    )
    with db.session() as session:
        orders.log_payment(
            session,
            actor_of(db, team.sara.id),
            order_id,
            Decimal("250.00"),
            received_on=date(2026, 11, 19),
            now=clock(),
        )
    # The payment's UPDATE of the order's paid total is recorded too (the hook cannot see it).
    paid = [r for r in history_rows(db, "order", order_id) if r.field == "paid_total"]
    assert [(r.old_value, r.new_value) for r in paid] == [("0.00", "250.00")]

    await bot.settle(await team.sara.press_data(f"ord:open:{order_id}"))
    assert team.sara.last().button_texts()[-1] == "📜 History"
    await bot.press(team.sara, "📜 History")
    page = team.sara.last().text
    assert "✏️ Paid: CNY 0.00 → CNY 250.00" in page
    assert "Payment · ➕ Created: Amount CNY 250.00; Received on 19 Nov 2026" in page
    assert "Instalment · ➕ Created: No. 2; Amount CNY 400.00; Due 10 Jan 2027" in page
    await bot.settle(await team.ken.press_data(f"hist:ord:{order_id}:0"))
    assert team.ken.callback_answers[-1]["text"] == "Not found."

    # The contact's own history, from its edit menu.
    await bot.send(team.tom, "acme")
    await bot.press(team.tom, "Acme Machinery")
    await bot.press(team.tom, "✏️ Edit")
    await bot.press(team.tom, "✏️ Li Na")
    await bot.press(team.tom, "🎂 Birthday")
    await bot.send(team.tom, "12 May")
    await bot.press(team.tom, "✏️ Edit")
    await bot.press(team.tom, "✏️ Li Na")
    assert team.tom.last().button_texts()[-1] == "📜 History"
    await bot.press(team.tom, "📜 History")
    page = team.tom.last().text
    assert "· Tom\n✏️ Birthday: — → 12 May" in page
    assert "➕ Created: Name Li Na" in page
    await bot.settle(await team.ken.press_data(f"hist:ct:{acme}:0"))
    assert team.ken.callback_answers[-1]["text"] == "Not found."
    assert "Li Na" not in texts(team.ken.messages)


async def test_a_quotes_history_under_its_pdf(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    """The approval and the customer's answer are bulk UPDATEs: recorded all the same."""
    team = await sales_team(bot, emulator)
    add_customer(db, team.tom, "Acme Machinery", contact="Li Na")
    add_products(db)
    await create_deal_in_chat(bot, team.tom, "Acme Machinery", "Lathes", "¥8,500")
    li = await link_contact(bot, emulator, team.tom, "acme", "Acme Machinery", "Li Na", 7101)
    await bot.send(team.tom, "/quote")
    await bot.press(team.tom, "Lathes · Acme Machinery")
    await bot.send(team.tom, "CNC-100")
    await bot.press(team.tom, "CNC-100 · CNC lathe 100")
    await bot.send(team.tom, "10")
    await bot.press(team.tom, "15%")
    await bot.press(team.tom, "📤 Submit")
    await bot.press(team.manager, "✅ Approve")
    pdf = team.tom.last()
    await bot.press(team.tom, "📤 Send to Li Na", pdf)
    await bot.press(li, "✅ Accept")
    with db.session() as session:
        quote = session.exec(select(Quote)).one()
    assert quote.id is not None
    await bot.press(team.tom, "📜 History", pdf)
    page = team.tom.last().text
    assert page.startswith(f"📜 {quote.number}: history")
    assert "· Li Na (customer)\n✏️ Customer's answer: — → accepted" in page
    assert "· Mei\n✏️ Status: waiting for the manager → issued" in page
    assert "· Tom\n➕ Created: Owner Tom; Status waiting for the manager" in page
    decided = [r for r in history_rows(db, "quote", quote.id) if r.field == "status"]
    assert [(r.old_value, r.new_value) for r in decided] == [("pending_manager", "issued")]
    assert decided[0].changed_by_id == actor_of(db, team.manager.id).user_id
    for person in (team.sara, team.ken):
        await bot.settle(await person.press_data(f"hist:q:{quote.id}:0"))
        assert person.callback_answers[-1]["text"] == "Not found."
