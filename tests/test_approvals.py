"""End to end: a rep asks for new terms for a customer (⚙️ Ask for terms), the team's manager
and then finance decide, and only then the customer's term changes; each step on the timeline;
rejections at each step; who may decide (a forged button answers "Not found."); /approvals with
quotes and terms requests oldest first; and the morning brief of an approver kept waiting."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlmodel import select

from bot.db import Database
from bot.emulator import BotAPIEmulator, SimUser
from bot.local import LocalBot
from bot.services.customers import set_terms
from bot.services.deals import DealDraft
from bot.services.deals import create_deal as create_deal_as
from bot.services.errors import NotAllowed
from models import ChangeEntry, Customer, Deal, Payment, Quote, Role, SalesOrder, TermsRequest
from tests.conftest import FakeClock
from tests.flows import (
    SalesTeam,
    actor_of,
    add_customer,
    invite,
    join,
    make_order,
    register,
    sales_team,
    texts,
)
from tests.test_deals import create_deal
from tests.test_quotes import add_products, build_quote


async def ready(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> tuple[SalesTeam, SimUser, SimUser]:
    """The sales team, Fiona of finance and Dave the director; Tom owns Acme Machinery."""
    team = await sales_team(bot, emulator)
    finance = await register(bot, emulator, team.admin, Role.FINANCE, 5401, "Fiona")
    director = await register(bot, emulator, team.admin, Role.DIRECTOR, 5301, "Dave")
    add_customer(db, team.tom, "Acme Machinery")
    return team, finance, director


async def ask_terms(
    bot: LocalBot, person: SimUser, customer: str, term: str, value: str, reason: str
) -> None:
    await bot.send(person, customer.split()[0].lower())
    await bot.press(person, customer)
    await bot.press(person, "⚙️ Ask for terms")
    await bot.press(person, term)
    await bot.send(person, value)
    await bot.send(person, reason)


def requests(db: Database) -> list[TermsRequest]:
    with db.session() as session:
        return list(session.exec(select(TermsRequest).order_by(TermsRequest.id)))  # type: ignore[arg-type]


def customer(db: Database, name: str = "Acme Machinery") -> Customer:
    with db.session() as session:
        return session.exec(select(Customer).where(Customer.name == name)).one()


def deal_id(db: Database) -> int:
    with db.session() as session:
        return session.exec(select(Deal)).one().id or 0


def user_id(db: Database, person: SimUser) -> int:
    return actor_of(db, person.id).user_id


async def test_a_terms_change_approved_by_the_manager_then_finance_is_applied_and_on_the_timeline(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team, finance, director = await ready(bot, emulator, db)
    await bot.send(team.tom, "acme")
    await bot.press(team.tom, "Acme Machinery")
    assert "⚙️ Terms" not in team.tom.last().button_texts()
    await bot.press(team.tom, "⚙️ Ask for terms")
    pick = team.tom.last()
    assert pick.text.startswith("Acme Machinery: ask for new terms\n")
    assert "Payment terms: 30 days" in pick.text and "then finance decide" in pick.text
    assert pick.button_texts() == ["Allowed discount", "Payment terms", "Credit limit"]
    # Nonsense at each step is asked again; nothing is saved until the reason.
    assert "choose with the buttons" in texts(await bot.send(team.tom, "60 days please"))
    await bot.press(team.tom, "Payment terms")
    for nonsense in ("soon", "999", "45.5", "-3", "1e309", "NaN"):
        assert "not a number of days" in texts(await bot.send(team.tom, nonsense)), nonsense
    assert requests(db) == []
    asked = await bot.send(team.tom, "60")
    assert asked[0].text.startswith("New value: 60 days. Why does the customer need it?")
    refused = await bot.send(team.tom, "x" * 1001)
    assert refused[0].text.startswith("Please send the reason as a few words")
    assert requests(db) == []
    before_finance = len(finance.messages)
    done = await bot.send(team.tom, "Pays early,   orders every month")
    assert done[0].text.startswith(
        "📨 Asked for Acme Machinery: Payment terms: 30 days → 60 days.\nYour manager decides"
    )
    (request,) = requests(db)
    assert (request.term, request.old_value, request.new_value) == (
        "days",
        Decimal("30.00"),
        Decimal("60.00"),
    )
    assert request.state == "pending_manager" and request.reason == "Pays early, orders every month"
    assert request.requested_by_id == user_id(db, team.tom)

    # The manager's step.
    ask = team.manager.last()
    assert ask.text == (
        "⚙️ Tom asks to change the terms of Acme Machinery:\n"
        "Payment terms: 30 days → 60 days\n"
        "Reason: “Pays early, orders every month”"
    )
    assert ask.button_texts() == ["✅ Approve", "❌ Reject"]
    assert len(finance.messages) == before_finance  # not finance's turn yet
    clock.advance(timedelta(hours=2))
    await bot.press(team.manager, "✅ Approve")
    assert team.manager.last().text.endswith("60 days. It goes on to finance.")
    (request,) = requests(db)
    assert request.state == "pending_finance" and request.manager_approved
    assert request.manager_decided_by_id == user_id(db, team.manager)
    assert customer(db).payment_terms_days == 30  # not yet
    assert "was approved by Mei and now goes to finance" in team.tom.last().text

    # Finance's step (the director is asked too, and may decide instead).
    for approver in (finance, director):
        assert "Approved by Mei (manager); finance decides now." in approver.last().text
    clock.advance(timedelta(hours=3))
    await bot.press(finance, "✅ Approve")
    assert finance.last().text.endswith("The customer's terms are changed.")
    (request,) = requests(db)
    assert request.state == "approved" and request.finance_approved
    assert request.finance_decided_by_id == user_id(db, finance)
    assert request.finance_decided_at == datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
    assert customer(db).payment_terms_days == 60
    assert team.tom.last().text == (
        "✅ Your request for Acme Machinery was approved by Fiona: "
        "Payment terms: 30 days → 60 days applies now."
    )
    # A late second press is told who decided.
    await bot.press(director, "✅ Approve")
    assert director.last().text == "This request was already decided by Fiona."
    assert customer(db).payment_terms_days == 60

    # Each step on the customer's timeline: who, when, before → after; newest first.
    await bot.send(team.manager, "acme")
    await bot.press(team.manager, "Acme Machinery")
    assert "terms 60 days" in team.manager.last().text
    await bot.press(team.manager, "🕘 Timeline")
    story = team.manager.last().text
    finance_line = (
        "25 Nov 2026 22:00 · Fiona\n"
        "⚙️ Payment terms: 30 days → 60 days approved by finance: the new terms apply"
    )
    manager_line = (
        "25 Nov 2026 19:00 · Mei\n⚙️ Payment terms: 30 days → 60 days approved by the manager"
    )
    asked_line = (
        "25 Nov 2026 17:00 · Tom\n"
        "⚙️ Asked for Payment terms: 30 days → 60 days: “Pays early, orders every month”"
    )
    for line in (finance_line, manager_line, asked_line):
        assert line in story, line
    assert story.index(finance_line) < story.index(manager_line) < story.index(asked_line)


async def test_a_rejection_by_the_manager_stops_the_request(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team, finance, _ = await ready(bot, emulator, db)
    await ask_terms(bot, team.tom, "Acme Machinery", "Credit limit", "50,000", "Big order")
    before_finance = len(finance.messages)
    await bot.press(team.manager, "❌ Reject")
    assert team.manager.last().text.startswith("❌ Rejected by you: Acme Machinery, Credit limit")
    (request,) = requests(db)
    assert request.state == "rejected" and request.manager_approved is False
    assert request.finance_decided_at is None
    assert customer(db).credit_limit == Decimal("0.00")
    assert len(finance.messages) == before_finance
    assert team.tom.last().text == (
        "❌ Your request for Acme Machinery (Credit limit: 0.00 → 50,000.00) was rejected by "
        "Mei. The terms stay as they were."
    )
    await bot.send(team.tom, "acme")
    await bot.press(team.tom, "Acme Machinery")
    await bot.press(team.tom, "🕘 Timeline")
    assert "· Mei\n⚙️ Credit limit: 0.00 → 50,000.00 rejected by the manager" in (
        team.tom.last().text
    )


async def test_a_managers_own_request_goes_to_finance_who_may_reject_it(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team, finance, _ = await ready(bot, emulator, db)
    await ask_terms(bot, team.manager, "Acme Machinery", "Allowed discount", "7.5%", "Loyal")
    assert "It goes to finance now" in team.manager.last().text
    (request,) = requests(db)
    assert request.state == "pending_finance" and request.manager_approved
    assert request.manager_decided_by_id == user_id(db, team.manager)
    assert request.old_value is None and request.new_value == Decimal("7.50")
    assert "Allowed discount: no limit of its own → 7.5%" in finance.last().text
    # The manager cannot decide their own request at finance's step either.
    await bot.settle(await team.manager.press_data(f"tr:yes:{request.id}"))
    assert team.manager.callback_answers[-1]["text"] == "You can't do that with your role."
    await bot.press(finance, "❌ Reject")
    (request,) = requests(db)
    assert request.state == "rejected" and request.finance_approved is False
    assert request.finance_decided_by_id == user_id(db, finance)
    assert customer(db).max_discount_pct is None
    assert "was rejected by Fiona. The terms stay as they were." in team.manager.last().text
    await bot.send(finance, "acme")
    await bot.press(finance, "Acme Machinery")
    # Finance reads the card and its timeline, and changes nothing on it but its terms.
    assert finance.last().button_texts() == ["⚙️ Terms", "🕘 Timeline", "📜 History"]
    await bot.press(finance, "🕘 Timeline")
    assert "· Fiona\n⚙️ Allowed discount: no limit of its own → 7.5% rejected by finance" in (
        finance.last().text
    )


async def test_only_the_approver_at_the_step_decides_and_a_forged_button_is_not_found(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team, finance, _ = await ready(bot, emulator, db)
    south = await register(bot, emulator, team.admin, Role.MANAGER, 5205, "Li", team="South")
    await ask_terms(bot, team.tom, "Acme Machinery", "Payment terms", "45", "Slow payer no more")
    (request,) = requests(db)
    customer_id = customer(db).id
    # The rep who asked cannot approve; finance cannot take the manager's step.
    for person, answer in (
        (team.tom, "You can't do that with your role."),
        (finance, "You can't do that with your role."),
        (team.sara, "Not found."),  # a rep of the team does not see others' requests
        (team.ken, "Not found."),  # another team's rep
        (south, "Not found."),  # another team's manager
    ):
        await bot.settle(await person.press_data(f"tr:yes:{request.id}"))
        assert person.callback_answers[-1]["text"] == answer, person.first_name
        await bot.settle(await person.press_data(f"apv:t:{request.id}"))
        assert person.callback_answers[-1]["text"] == answer, person.first_name
    # Nor may another team ask for Tom's customer, and finance asks nothing.
    await bot.settle(await team.ken.press_data(f"tq:{customer_id}"))
    assert team.ken.callback_answers[-1]["text"] == "Not found."
    await bot.settle(await finance.press_data(f"tq:{customer_id}"))
    assert finance.callback_answers[-1]["text"] == "You can't do that with your role."
    # Finance only reads: the services refuse what would change a record.
    with db.session() as session, pytest.raises(NotAllowed):
        create_deal_as(
            session,
            actor_of(db, finance.id),
            DealDraft(customer_id or 0, "Sneaky", Decimal(1), "CNY"),
            now=datetime(2026, 11, 25, 9, 0, tzinfo=UTC),
        )
    (request,) = requests(db)
    assert request.state == "pending_manager" and request.manager_decided_at is None
    assert customer(db).payment_terms_days == 30


async def test_approvals_lists_quotes_and_terms_requests_oldest_first(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team, finance, director = await ready(bot, emulator, db)
    add_customer(db, team.sara, "Bolt Industries")
    add_products(db)
    await create_deal(bot, team.tom, "Acme Machinery", "Lathes", "20k")
    await ask_terms(bot, team.tom, "Acme Machinery", "Allowed discount", "12", "Framework deal")
    clock.advance(timedelta(hours=1))
    await build_quote(bot, team.tom, "CNC-100", "10", "15")
    await bot.press(team.tom, "📤 Submit")
    clock.advance(timedelta(hours=1))
    await ask_terms(bot, team.sara, "Bolt Industries", "Credit limit", "20000", "New plant")

    listing = await bot.send(team.manager, "/approvals")
    assert listing[0].text.startswith("Waiting for your decision (3), oldest first:\n")
    assert listing[0].button_texts() == [
        "⚙️ Acme Machinery · Tom",
        "🧾 Acme Machinery · Tom",
        "⚙️ Bolt Industries · Sara",
    ]
    assert "2. 25 Nov 18:00 · 🧾 quote for Acme Machinery (Lathes), CNY 8,500.00 · Tom" in (
        listing[0].text
    )
    assert (await bot.send(finance, "/approvals"))[0].text == (
        "✅ Nothing is waiting for your decision."
    )
    # The quote opens with the quote's own buttons, and is approved there.
    await bot.press(team.manager, "🧾 Acme Machinery · Tom")
    opened = team.manager.last()
    assert "Tom asks you to approve a quote for Acme Machinery" in opened.text
    assert opened.button_texts() == ["✅ Approve", "❌ Reject", "◀ Back to the list"]
    await bot.press(team.manager, "✅ Approve")
    with db.session() as session:
        assert session.exec(select(Quote)).one().status == "issued"
    for item in ("⚙️ Acme Machinery · Tom", "⚙️ Bolt Industries · Sara"):
        await bot.send(team.manager, "/approvals")
        await bot.press(team.manager, item)
        assert team.manager.last().button_texts() == [
            "✅ Approve",
            "❌ Reject",
            "◀ Back to the list",
        ]
        await bot.press(team.manager, "✅ Approve")
    assert [r.state for r in requests(db)] == ["pending_finance", "pending_finance"]
    assert (await bot.send(team.manager, "/approvals"))[0].button_texts() == []

    # Finance and the director see both at finance's step, oldest first.
    for approver in (finance, director):
        listing = await bot.send(approver, "/approvals")
        assert listing[0].button_texts() == [
            "⚙️ Acme Machinery · Tom",
            "⚙️ Bolt Industries · Sara",
        ]
    assert "1. 25 Nov 17:00 · ⚙️ Acme Machinery: Allowed discount: no limit of its own → 12%" in (
        listing[0].text
    )
    await bot.press(finance, "⚙️ Bolt Industries · Sara")
    await bot.press(finance, "✅ Approve")
    assert customer(db, "Bolt Industries").credit_limit == Decimal("20000.00")
    assert (await bot.send(finance, "/approvals"))[0].button_texts() == ["⚙️ Acme Machinery · Tom"]
    # Finance reads every deal, without the buttons that would change it.
    board = await bot.send(finance, "/deals")
    assert "• Lathes · Acme Machinery · USD 20,000.00 · Tom" in board[0].text
    await bot.press(finance, "Lathes · Acme Machinery")
    assert finance.last().text.startswith("💼 Lathes\nCustomer: Acme Machinery · Tom")
    assert finance.last().button_texts() == ["Open customer", "📜 History"]
    await bot.settle(await finance.press_data(f"deal:mv:{deal_id(db)}:won"))
    assert finance.callback_answers[-1]["text"] == "You can't do that with your role."
    with db.session() as session:
        assert session.exec(select(Deal)).one().stage_key == "quoted"


async def test_a_request_waiting_more_than_a_day_is_in_the_approvers_brief(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team, finance, director = await ready(bot, emulator, db)
    await ask_terms(bot, team.tom, "Acme Machinery", "Payment terms", "60", "Pays early")

    def briefs(person: SimUser) -> list[str]:
        return [m.text for m in person.messages if "Good morning" in m.text]

    clock.current = datetime(2026, 11, 26, 0, 30, tzinfo=UTC)  # Thu 08:30 in Shanghai
    await bot.tick()
    await bot.tick()
    assert "Waiting for your decision" not in briefs(team.manager)[-1]  # 15½ hours
    assert briefs(director) == []  # a director is briefed only when kept waiting

    clock.current = datetime(2026, 11, 27, 0, 30, tzinfo=UTC)
    await bot.tick()
    await bot.tick()
    brief = briefs(team.manager)[-1]
    assert "Waiting for your decision for more than a day (1) · /approvals" in brief
    assert "⏳ 25 Nov 17:00 · ⚙️ Acme Machinery: Payment terms: 30 days → 60 days · Tom" in brief
    assert "Waiting for your decision" not in briefs(finance)[-1]  # not at finance's step yet
    await bot.press(team.manager, "✅ Approve")

    clock.current = datetime(2026, 11, 28, 0, 30, tzinfo=UTC)
    await bot.tick()
    await bot.tick()
    for approver in (finance, director):
        assert "⚙️ Acme Machinery: Payment terms: 30 days → 60 days · Tom" in (briefs(approver)[-1])
    assert "Waiting for your decision" not in briefs(team.manager)[-1]


async def test_the_manager_is_asked_in_their_own_language(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await sales_team(bot, emulator)
    code = await invite(bot, team.admin, Role.MANAGER, "East")
    li = emulator.user(5501, "丽", last_name="李", language_code="zh-hans")
    await join(bot, li, code)
    wei = await register(bot, emulator, team.admin, Role.REP, 5502, "Wei", team="East")
    add_customer(db, wei, "Delta Pumps")
    await ask_terms(bot, wei, "Delta Pumps", "Credit limit", "80000", "Two plants now")
    ask = li.last()
    assert ask.text == (
        "⚙️ Wei 申请修改 Delta Pumps 的商务条款：\n"
        "信用额度：0.00 → 80,000.00\n"
        "理由：“Two plants now”"
    )
    assert ask.button_texts() == ["✅ 批准", "❌ 驳回"]
    await bot.press(li, "❌ 驳回")
    assert li.last().text == "❌ 你已驳回：Delta Pumps，信用额度：0.00 → 80,000.00。"
    assert "was rejected by 李丽. The terms stay as they were." in wei.last().text


async def test_finance_logs_a_payment_on_any_order_and_changes_nothing_else(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team, finance, _ = await ready(bot, emulator, db)
    order_id, _plan = make_order(
        db, team.tom, team.tom, customer(db).id or 0, "Lathes", [("12000", date(2026, 12, 1))]
    )
    await bot.send(finance, "/pay")
    await bot.press(finance, "O-2026-00001 · Acme Machinery · CNY 12,000.00")
    assert "couldn't read “a lot”" in texts(await bot.send(finance, "a lot"))
    await bot.send(finance, "5000")
    await bot.press(finance, "Today")
    card = finance.last()
    assert "💰 Payment of CNY 5,000.00 logged." in card.text
    assert card.button_texts() == [
        "💰 Log a payment",
        "Open customer",
        "📜 History",
    ]  # no 🚚 Mark delivered
    with db.session() as session:
        payment = session.exec(select(Payment)).one()
        assert payment.amount == Decimal("5000.00") and payment.order_id == order_id
        assert payment.logged_by_id == user_id(db, finance)
        assert session.exec(select(SalesOrder)).one().delivered_at is None
    await bot.settle(await finance.press_data(f"ord:dlv:{order_id}"))
    assert finance.callback_answers[-1]["text"] == "You can't do that with your role."


@pytest.mark.parametrize(
    ("role", "sets"),
    [
        (Role.REP, False),
        (Role.MANAGER, False),
        (Role.FINANCE, True),
        (Role.DIRECTOR, True),
        (Role.ADMIN, True),
    ],
)
async def test_only_finance_directors_and_admins_set_terms_directly_and_it_is_in_the_history(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock, role: Role, sets: bool
) -> None:
    """The two steps of a terms change (the manager's, then finance's or a director's) cannot
    be skipped: a manager has no ⚙️ Terms (they ask, and finance decides); those who decide
    the last step, and admins, set terms directly, each change in the history with who."""
    team, finance, director = await ready(bot, emulator, db)
    person = {
        Role.REP: team.tom,
        Role.MANAGER: team.manager,
        Role.FINANCE: finance,
        Role.DIRECTOR: director,
        Role.ADMIN: team.admin,
    }[role]
    acme = customer(db).id or 0
    await bot.send(person, "acme")
    await bot.press(person, "Acme Machinery")
    card = person.last().button_texts()
    assert ("⚙️ Terms" in card) is sets
    assert ("⚙️ Ask for terms" in card) is (role in (Role.REP, Role.MANAGER))
    if not sets:
        await bot.settle(await person.press_data(f"trm:{acme}"))
        assert person.callback_answers[-1]["text"] == "You can't do that with your role."
        with db.session() as session, pytest.raises(NotAllowed):
            set_terms(session, actor_of(db, person.id), acme, "days", Decimal(60), now=clock())
        assert customer(db).payment_terms_days == 30
        return
    await bot.press(person, "⚙️ Terms")
    await bot.press(person, "Payment terms")
    assert "not a number of days" in texts(await bot.send(person, "soon"))
    saved = await bot.send(person, "60")
    assert saved[0].text.startswith("✅ Payment terms: 60 days")
    assert customer(db).payment_terms_days == 60
    assert requests(db) == []  # set directly, no request
    with db.session() as session:
        [change] = session.exec(
            select(ChangeEntry).where(
                ChangeEntry.record_kind == "customer", ChangeEntry.field == "payment_terms_days"
            )
        ).all()
    assert (change.old_value, change.new_value) == ("30", "60")
    assert change.changed_by_id == user_id(db, person)
