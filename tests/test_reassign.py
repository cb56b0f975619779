"""End to end: /reassign hands a rep's customers to another rep with their open deals, follow-ups
(and the reminder waiting for the old owner), open service requests and payment collection; the
receiver is told once, the timeline records the move; nonsense is re-asked at each step; reps are
refused and a manager cannot reach another team; deactivating a rep who owns customers asks whom
to give them to first."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from alembic import command
from sqlmodel import col, select

from bot.db import Database, alembic_config, create_db_engine
from bot.emulator import BotAPIEmulator, BotMessage, SimUser
from bot.local import LocalBot
from bot.reminders.producers.quotes import still_unanswered
from bot.services import people
from bot.services.deals import DealDraft
from bot.services.deals import create_deal as new_deal
from models import (
    ChangeEntry,
    ContactQuestion,
    Customer,
    Deal,
    OutboxMessage,
    Quote,
    Role,
    SalesOrder,
    Ticket,
    Touch,
)
from models.base import UTCDateTime
from tests.conftest import ADMIN_ID, FakeClock
from tests.flows import (
    actor_of,
    add_customer,
    link_contact,
    make_order,
    register,
    sales_team,
    set_zone,
    texts,
    user_row,
)
from tests.test_chinese import chat_scope
from tests.test_deals import create_deal
from tests.test_quotes import add_products, build_quote

RE_ASK = "Please choose with the buttons above, or send /cancel."


def owner_of(db: Database, customer_id: int) -> int:
    with db.session() as session:
        customer = session.get(Customer, customer_id)
        assert customer is not None
        return customer.owner_id


def uid(db: Database, person: SimUser) -> int:
    return actor_of(db, person.id).user_id


def outbox(db: Database, kind: str) -> list[OutboxMessage]:
    with db.session() as session:
        query = select(OutboxMessage).where(OutboxMessage.kind == kind)
        return list(session.exec(query.order_by(OutboxMessage.id)))  # type: ignore[arg-type]


def received(person: SimUser, part: str) -> list[str]:
    return [m.text for m in person.messages if part in m.text]


def menu(emulator: BotAPIEmulator, person: SimUser) -> list[str]:
    return [c["command"] for c in emulator.commands_for(chat_scope(person.id))]


async def re_asked(bot: LocalBot, person: SimUser, nonsense: str = "Sara please") -> None:
    """Text where a button is expected: asked again, nothing moves on."""
    assert texts(await bot.send(person, nonsense)) == RE_ASK


async def test_a_manager_moves_a_customer_with_its_reminder_ticket_deal_and_collection(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    acme = add_customer(db, team.tom, "Acme Machinery", contact="Li Na")
    brightway = add_customer(db, team.tom, "Brightway Logistics")
    cobalt = add_customer(db, team.tom, "Cobalt Tools")
    # 17:00 in Shanghai: a follow-up tomorrow 15:00 there (07:00 UTC), an open complaint due in
    # 24 hours, an open deal, and a won deal's unpaid order that Tom collects.
    await bot.send(team.tom, "/visit Acme: demo went well; next: send quote tomorrow 3pm")
    await bot.press(team.tom, "✅ Save")
    await bot.send(team.tom, "/ticket")
    await bot.press(team.tom, "Acme Machinery")
    await bot.press(team.tom, "😠 Complaint")
    await bot.send(team.tom, "Lathe #3 leaks oil")
    with db.session() as session:
        deal = new_deal(
            session,
            actor_of(db, team.tom.id),
            DealDraft(acme, "Second lathe", Decimal("80000"), "CNY"),
            now=clock(),
        )
        open_deal = deal.id
    due = date(2026, 12, 15)
    order_id, _ = make_order(db, team.tom, team.tom, acme, "Lathes", [("12000", due)])
    make_order(db, team.tom, team.tom, brightway, "Trucks", [("5000", due)])

    # Tom is in Los Angeles now: at 07:00 UTC it is 23:00 there, so his reminder is written and
    # held for his morning (15:00 UTC).
    set_zone(db, team.tom, "America/Los_Angeles")
    clock.current = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
    await bot.tick()
    [held] = outbox(db, "followup")
    assert held.state == "pending" and held.user_id == uid(db, team.tom)
    assert held.send_after == datetime(2026, 11, 26, 15, 0, tzinfo=UTC)

    # Mei reassigns Acme, and only Acme, from Tom to Sara; nonsense at each step is re-asked.
    clock.current = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    await bot.send(team.manager, "/reassign")
    started = team.manager.last()  # each step answers by editing this message

    def flow() -> BotMessage:
        return team.manager.message(started.message_id)

    assert "Whose customers should move?" in flow().text
    assert flow().button_texts() == ["Tom · Sales rep · 3 customers"]
    await re_asked(bot, team.manager)
    await bot.press(team.manager, "Tom · Sales rep · 3 customers")
    assert "Who receives Tom's customers?" in flow().text
    assert flow().button_texts() == [
        "Mei · Sales manager · 0 customers",
        "Sara · Sales rep · 0 customers",
    ]
    await re_asked(bot, team.manager)
    await bot.press(team.manager, "Sara · Sales rep · 0 customers")
    assert "Move all 3 customers of Tom, or choose which?" in flow().text
    assert flow().button_texts() == ["All 3 customers", "☑️ Choose customers"]
    await re_asked(bot, team.manager, "all")
    await bot.press(team.manager, "☑️ Choose customers")
    assert flow().button_texts() == [
        "▫️ Acme Machinery",
        "▫️ Brightway Logistics",
        "▫️ Cobalt Tools",
        "Done (0 chosen)",
    ]
    await re_asked(bot, team.manager, "Acme")
    await bot.press(team.manager, "Done (0 chosen)")
    assert "Tick at least one customer, then press Done." in flow().text
    await bot.press(team.manager, "▫️ Acme Machinery")
    await bot.press(team.manager, "▫️ Cobalt Tools")
    await bot.press(team.manager, "✅ Cobalt Tools")
    assert flow().button_texts() == [
        "✅ Acme Machinery",
        "▫️ Brightway Logistics",
        "▫️ Cobalt Tools",
        "Done (1 chosen)",
    ]
    assert "Chosen: 1 of 3" in flow().text
    await bot.press(team.manager, "Done (1 chosen)")
    confirm = flow()
    assert confirm.text == (
        "🔁 Tom → Sara\n"
        "The chosen customers move, with what goes with them:\n"
        "• Customers: 1\n"
        "• Open deals: 1\n"
        "• Open follow-ups (and their reminders): 1\n"
        "• Open service requests: 1\n"
        "• Unpaid orders whose payment Sara will collect: 1\n"
        "• Open orders Sara will deliver: 1\n"
        "• Quotes waiting for an approval or the customer's answer: 0\n"
        "• Contacts' questions not answered yet: 0\n"
        "The timelines keep who did what so far."
    )
    assert confirm.button_texts() == ["✅ Move", "✖ Cancel"]
    await re_asked(bot, team.manager, "yes")
    assert owner_of(db, acme) == uid(db, team.tom)  # nothing moved before the confirmation
    await bot.press(team.manager, "✅ Move")
    assert flow().text.startswith(
        "✅ Moved from Tom to Sara: 1 customer, 1 open deal, 1 follow-up, 1 service request,"
        " 1 unpaid order, 1 order to deliver, 0 quotes, 0 unanswered questions. Sara has been told."
    )

    # Sara is told once, with a button to the card.
    [told] = [m for m in team.sara.messages if m.text.startswith("📥")]
    assert told.text.startswith("📥 Mei handed you Tom's customers\n• Customers: 1\n")
    assert "They are: Acme Machinery." in told.text
    assert told.button_texts() == ["Acme Machinery"]
    await bot.press(team.sara, "Acme Machinery", told)
    assert team.sara.last().text.startswith("Acme Machinery")

    # The database: everything on Acme moved; the touch is still Tom's; the rest stays Tom's.
    tom, sara, mei = uid(db, team.tom), uid(db, team.sara), uid(db, team.manager)
    assert (owner_of(db, acme), owner_of(db, brightway), owner_of(db, cobalt)) == (sara, tom, tom)
    with db.session() as session:
        deals = {d.id: d for d in session.exec(select(Deal).where(Deal.customer_id == acme))}
        assert deals.pop(open_deal).owner_id == sara
        assert [d.owner_id for d in deals.values()] == [tom]  # the won deal keeps its seller
        touch = session.exec(select(Touch)).one()
        assert (touch.author_id, touch.follow_up_owner_id) == (tom, sara)
        assert session.exec(select(Ticket)).one().owner_id == sara
        orders = {o.customer_id: o for o in session.exec(select(SalesOrder))}
        assert orders[acme].id == order_id and orders[acme].payment_owner_id == sara
        assert orders[acme].owner_id == tom and orders[brightway].payment_owner_id == tom
        assert (orders[acme].delivery_owner_id, orders[brightway].delivery_owner_id) == (sara, tom)
        [change] = session.exec(select(ChangeEntry).where(ChangeEntry.field == "owner")).all()
        assert (change.record_id, change.field, change.old_value, change.new_value) == (
            str(acme),
            "owner",
            "Tom",
            "Sara",
        )
        assert change.changed_by_id == mei

    # The follow-up reminder goes to Sara now; Tom's held one is skipped, never sent.
    await bot.tick()
    reminders = received(team.sara, "🔔 Follow up: Acme Machinery")
    assert len(reminders) == 1 and "send quote" in reminders[0]
    old, new = outbox(db, "followup")
    assert (old.id, old.state) == (held.id, "pending") and new.user_id == sara
    # The complaint falls due: Sara (and Mei) are alerted, Tom is not.
    clock.current = datetime(2026, 11, 26, 9, 1, tzinfo=UTC)
    await bot.tick()
    assert len(received(team.sara, "Overdue: Complaint")) == 1
    assert len(received(team.manager, "Overdue: Complaint")) == 1
    clock.current = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)  # Tom's morning in Los Angeles
    await bot.tick()
    old, new = outbox(db, "followup")
    assert (old.state, old.reason) == ("skipped", "follow-up handed over")
    assert received(team.tom, "Follow up") == [] and received(team.tom, "Overdue") == []
    # It is on Sara's day, not Tom's; she may snooze it (it is hers to do), he may not.
    assert "Acme Machinery: send quote" in texts(await bot.send(team.sara, "/today"))
    assert "send quote" not in texts(await bot.send(team.tom, "/today"))
    await bot.settle(await team.tom.press_data(f"fu:snz:{touch.id}:h"))
    assert team.tom.callback_answers[-1]["text"] == "Not found."
    await bot.press(team.sara, "⏰ 1 hour", team.sara.message(new.telegram_message_id or 0))
    snoozed = team.sara.message(new.telegram_message_id or 0).text
    assert snoozed.startswith("⏰ Moved: Acme Machinery — send quote, Fri 27 Nov 2026, 00:00")

    # The open deal, quiet for 14 days, is Sara's to chase.
    clock.current = datetime(2026, 12, 10, 0, 30, tzinfo=UTC)
    await bot.tick()
    assert [(row.ref_id, row.user_id) for row in outbox(db, "stale_deal")] == [(open_deal, sara)]
    assert received(team.tom, "Gone quiet") == []

    # The instalments' reminders (due in 3 days) go to whoever collects each now.
    clock.current = datetime(2026, 12, 12, 17, 0, tzinfo=UTC)
    await bot.tick()
    payments = outbox(db, "payment_due")
    assert {(row.customer_id, row.user_id) for row in payments} == {(acme, sara), (brightway, tom)}

    # The timeline keeps what Tom did and records the move with who did it.
    await bot.send(team.sara, "acme")
    await bot.press(team.sara, "Acme Machinery")
    await bot.press(team.sara, "🕘 Timeline")
    timeline = team.sara.last().text
    assert "· Mei\n🔁 Owner: Tom → Sara" in timeline
    assert "· Tom\n🛠 Complaint opened: Lathe #3 leaks oil" in timeline


async def test_a_quote_awaiting_approval_an_order_and_a_contacts_question_move_to_another_team(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    """Tom (North) has a quote waiting for Mei's approval, an order he delivers and collects,
    and a contact's question he has not answered (one he did answer stays answered). Handed to
    Ken (South): the quote's approval is Sam's (South's manager, told), its answer goes to Ken;
    the order is Ken's to deliver and collect; the question is in Ken's one message with a
    button to answer it, and Tom's old button leads nowhere."""
    team = await sales_team(bot, emulator)
    sam = await register(bot, emulator, team.admin, Role.MANAGER, 5401, "Sam", "South")
    acme = add_customer(db, team.tom, "Acme Machinery", contact="Li Na")
    add_products(db)
    await create_deal(bot, team.tom, "Acme Machinery", "Lathes", "20k")
    await build_quote(bot, team.tom, "CNC-100", "10", "15")
    await bot.press(team.tom, "📤 Submit")
    asked_mei = team.manager.last()
    assert "Tom asks you to approve a quote for Acme Machinery" in asked_mei.text
    order_id, _ = make_order(db, team.tom, team.tom, acme, "Trucks", [("5000", date(2026, 12, 15))])
    li_na = await link_contact(bot, emulator, team.tom, "acme", "Acme Machinery", "Li Na", 5501)
    await bot.send(li_na, "Is the price final?")
    await bot.press(team.tom, "↩️ Answer")
    await bot.send(team.tom, "Yes.")
    await bot.send(li_na, "When will the lathe ship?")
    old_button = team.tom.last()
    assert "Li Na (Acme Machinery) asks:\nWhen will the lathe ship?" in old_button.text

    await bot.send(team.admin, "/reassign")
    await bot.press(team.admin, "Tom · Sales rep · North · 1 customer")
    await bot.press(team.admin, "Ken · Sales rep · South · 0 customers")
    await bot.press(team.admin, "All 1 customer")
    confirm = team.admin.last().text
    for line in (
        "• Unpaid orders whose payment Ken will collect: 1\n",
        "• Open orders Ken will deliver: 1\n",
        "• Quotes waiting for an approval or the customer's answer: 1\n",
        "• Contacts' questions not answered yet: 1\n",
    ):
        assert line in confirm, line
    before_mei = len(team.manager.messages)
    await bot.press(team.admin, "✅ Move")
    assert team.admin.last().text.startswith(
        "✅ Moved from Tom to Ken: 1 customer, 1 open deal, 0 follow-ups, 0 service requests,"
        " 1 unpaid order, 1 order to deliver, 1 quote, 1 unanswered question."
    )

    # Ken's one message lists it all, the question quoted with a button to answer it.
    [told] = [m for m in team.ken.messages if m.text.startswith("📥")]
    assert "• Quotes waiting for an approval or the customer's answer" in told.text
    assert "(the answer comes to you): 1\n" in told.text
    assert "• Contacts' questions waiting for your answer: 1\n" in told.text
    assert "• Orders to deliver: 1\n• " in told.text
    assert told.text.endswith(
        "The questions:\n💬 Li Na (Acme Machinery): When will the lathe ship?"
    )
    assert told.button_texts() == ["Acme Machinery", "↩️ Answer Li Na"]
    # South's manager is told the quote is theirs to decide; Mei is not, and cannot decide it.
    assert "Quotes of theirs that wait for a manager's approval are yours" in sam.last().text
    assert len(team.manager.messages) == before_mei
    await bot.press(team.manager, "✅ Approve", asked_mei)
    assert team.manager.callback_answers[-1]["text"] == "Not found."
    ken, tom = uid(db, team.ken), uid(db, team.tom)
    with db.session() as session:
        quote = session.exec(select(Quote)).one()
        assert (quote.owner_id, quote.status) == (ken, "pending_manager")
        order = session.get(SalesOrder, order_id)
        assert order is not None
        assert (order.payment_owner_id, order.delivery_owner_id, order.owner_id) == (ken, ken, tom)
        moves = session.exec(
            select(ChangeEntry.record_kind).where(ChangeEntry.field == "owner")
        ).all()
        assert sorted(moves) == ["customer", "quote"]
    await bot.send(sam, "/approvals")
    await bot.press(sam, "🧾 Acme Machinery · Ken")
    await bot.press(sam, "✅ Approve")
    with db.session() as session:
        number = session.exec(select(Quote)).one().number
    assert number is not None
    assert any(f"was approved by Sam: {number}" in m.text for m in team.ken.messages)
    assert not any(f"was approved by Sam: {number}" in m.text for m in team.tom.messages)

    # Tom's old button leads nowhere; Ken answers from his message, and the question is closed.
    await bot.press(team.tom, "↩️ Answer", old_button)
    assert team.tom.callback_answers[-1]["text"] == "Not found."
    await bot.press(team.ken, "↩️ Answer Li Na", told)
    await bot.send(team.ken, "Next Tuesday.")
    assert li_na.last().text == "💬 Ken: Next Tuesday."
    with db.session() as session:
        questions = session.exec(select(ContactQuestion).order_by(col(ContactQuestion.id))).all()
        assert [(q.text, q.answered_by_id) for q in questions] == [
            ("Is the price final?", tom),
            ("When will the lathe ship?", ken),
        ]
    # A new question goes straight to Ken.
    assert texts(await bot.send(li_na, "Thanks!")) == "Sent to Ken; the answer will come here."


async def test_a_sent_quote_moves_its_expiry_warning_and_the_customers_answer_to_the_receiver(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    """A quote Tom sent to Li Na (valid until Fri 25 Dec) is Ken's after the hand-over: the
    warning three days before goes to Ken (a row still keyed for Tom would be skipped), and
    Li Na's answer reaches Ken, not Tom."""
    team = await sales_team(bot, emulator)
    add_customer(db, team.tom, "Acme Machinery", contact="Li Na")
    add_products(db)
    await create_deal(bot, team.tom, "Acme Machinery", "Lathes", "20k")
    li_na = await link_contact(bot, emulator, team.tom, "acme", "Acme Machinery", "Li Na", 5501)
    await build_quote(bot, team.tom, "CNC-100", "10", "5")
    await bot.press(team.tom, "📤 Submit")
    await bot.press(team.tom, "📤 Send to Li Na")
    sent = li_na.last()
    assert sent.kind == "document"

    await bot.send(team.admin, "/reassign")
    await bot.press(team.admin, "Tom · Sales rep · North · 1 customer")
    await bot.press(team.admin, "Ken · Sales rep · South · 0 customers")
    await bot.press(team.admin, "All 1 customer")
    assert "• Quotes waiting for an approval or the customer's answer: 1\n" in (
        team.admin.last().text
    )
    await bot.press(team.admin, "✅ Move")
    ken, tom = uid(db, team.ken), uid(db, team.tom)
    with db.session() as session:
        quote = session.exec(select(Quote)).one()
        assert quote.owner_id == ken and quote.status == "issued"
        held = OutboxMessage(
            key=f"quote_expiry:{quote.id}:{tom}",
            kind="quote_expiry",
            text="…",
            chat_id=team.tom.id,
            user_id=tom,
            ref_id=quote.id,
            due_at=clock(),
            send_after=clock(),
        )
        assert still_unanswered(session, held, clock()) == "quote handed over"

    # Tue 22 Dec 08:30 in Shanghai (00:30 UTC): Ken is told, Tom is not.
    clock.current = datetime(2026, 12, 22, 0, 30, tzinfo=UTC)
    await bot.tick()
    [row] = outbox(db, "quote_expiry")
    assert (row.key, row.user_id, row.state) == (f"quote_expiry:{quote.id}:{ken}", ken, "sent")
    assert len(received(team.ken, "⏳ Quote")) == 1 and received(team.tom, "⏳") == []

    await bot.press(li_na, "✅ Accept", sent)
    assert received(team.ken, "✅ Li Na (Acme Machinery) accepted quote")
    assert received(team.tom, "accepted quote") == []


async def test_all_customers_move_and_cancel_moves_nothing(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await sales_team(bot, emulator)
    director = await register(bot, emulator, team.admin, Role.DIRECTOR, 5205, "Dora")
    acme = add_customer(db, team.tom, "Acme Machinery")
    south = add_customer(db, team.ken, "Southern Steel")
    # A director sees every team; Cancel at the confirmation moves nothing.
    await bot.send(director, "/reassign")
    assert director.last().button_texts() == [
        "Ken · Sales rep · South · 1 customer",
        "Tom · Sales rep · North · 1 customer",
    ]
    await bot.press(director, "Ken · Sales rep · South · 1 customer")
    assert "Tom · Sales rep · North · 1 customer" in director.last().button_texts()
    await bot.press(director, "Tom · Sales rep · North · 1 customer")
    await bot.press(director, "All 1 customer")
    assert "All their customers move" in director.last().text
    await bot.press(director, "✖ Cancel")
    assert director.last().text == "Cancelled: nothing was moved."
    assert owner_of(db, south) == uid(db, team.ken)
    # All of Tom's customers to Ken (another team), by the admin; Ken is told in Chinese.
    await bot.send(team.ken, "/language")
    await bot.press(team.ken, "中文")
    await bot.send(team.admin, "/reassign")
    await bot.press(team.admin, "Tom · Sales rep · North · 1 customer")
    await bot.press(team.admin, "Ken · Sales rep · South · 1 customer")
    await bot.press(team.admin, "All 1 customer")
    await bot.press(team.admin, "✅ Move")
    assert owner_of(db, acme) == uid(db, team.ken)
    told = team.ken.last()
    assert told.text.startswith("📥 Alice Admin 把 Tom 的客户转交给了你\n• 客户：1")
    assert told.button_texts() == ["Acme Machinery"]
    assert "分别是：Acme Machinery。" in told.text


async def test_reps_are_refused_and_a_manager_cannot_reach_another_team(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await sales_team(bot, emulator)
    acme = add_customer(db, team.tom, "Acme Machinery")
    south = add_customer(db, team.ken, "Southern Steel")
    refused = texts(await bot.send(team.tom, "/reassign"))
    assert refused.startswith("Moving customers from one rep to another is for managers")
    assert "reassign" not in menu(emulator, team.tom)
    assert "reassign" in menu(emulator, team.manager)
    # Forged buttons of another team are "Not found." like a missing person or customer.
    ken, tom = uid(db, team.ken), uid(db, team.tom)
    await bot.send(team.manager, "/reassign")
    assert team.manager.last().button_texts() == ["Tom · Sales rep · 1 customer"]
    for data in (f"ra:g:{ken}", "ra:g:99999"):
        await bot.settle(await team.manager.press_data(data))
        assert team.manager.callback_answers[-1]["text"] == "Not found.", data
    await bot.press(team.manager, "Tom · Sales rep · 1 customer")
    for data in (f"ra:r:{ken}", f"ra:r:{tom}", "ra:r:99999"):
        await bot.settle(await team.manager.press_data(data))
        assert team.manager.callback_answers[-1]["text"] == "Not found.", data
    await bot.press(team.manager, "Sara · Sales rep · 0 customers")
    await bot.press(team.manager, "☑️ Choose customers")
    await bot.settle(await team.manager.press_data(f"ra:t:{south}:0"))
    assert team.manager.callback_answers[-1]["text"] == "Not found."
    assert "Done (0 chosen)" in team.manager.last().button_texts()
    await bot.send(team.manager, "/cancel")
    assert (owner_of(db, acme), owner_of(db, south)) == (tom, ken)
    # A rep's forged button outside the flow leads nowhere either.
    await bot.settle(await team.tom.press_data(f"ra:g:{tom}"))
    assert team.tom.callback_answers[-1]["text"].startswith("This button no longer works")
    assert owner_of(db, acme) == tom


async def test_deactivating_a_rep_with_customers_hands_them_over_first(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    acme = add_customer(db, team.tom, "Acme Machinery")
    brightway = add_customer(db, team.tom, "Brightway Logistics")
    tom = uid(db, team.tom)
    # The service refuses to deactivate someone who still owns customers, whatever the path.
    with db.session() as session, pytest.raises(people.CannotDeactivate):
        people.set_user_active(
            session, actor_of(db, ADMIN_ID), tom, False, admin_ids={ADMIN_ID}, now=clock()
        )

    await bot.send(team.admin, "/users")
    await bot.press(team.admin, "Tom · Sales rep")
    await bot.press(team.admin, "Deactivate")
    asked = team.admin.last()
    assert asked.text.startswith(
        "Tom still owns 2 customers. Before the account is deactivated, whom should they go to?"
    )
    assert asked.button_texts() == [  # an admin may give them to anyone active
        "Ken · Sales rep · South · 0 customers",
        "Mei · Sales manager · North · 0 customers",
        "Sara · Sales rep · North · 0 customers",
    ]
    await re_asked(bot, team.admin)
    assert user_row(db, team.tom.id).is_active  # type: ignore[union-attr]
    await bot.press(team.admin, "Sara · Sales rep · North · 0 customers")
    assert "Then Tom's account is deactivated." in team.admin.message(asked.message_id).text
    assert "All their customers move" in team.admin.message(asked.message_id).text
    await re_asked(bot, team.admin, "ok")
    await bot.press(team.admin, "✅ Move")
    assert "Tom's account is deactivated." in team.admin.message(asked.message_id).text
    row = user_row(db, team.tom.id)
    assert row is not None and not row.is_active
    sara = uid(db, team.sara)
    assert (owner_of(db, acme), owner_of(db, brightway)) == (sara, sara)
    assert menu(emulator, team.tom) == []
    assert "customers: 2" in team.sara.last().text.lower()
    assert "They are: Acme Machinery, Brightway Logistics." in team.sara.last().text

    # Someone without customers is deactivated at once, as before.
    await bot.send(team.admin, "/users")
    await bot.press(team.admin, "Ken · Sales rep")
    await bot.press(team.admin, "Deactivate")
    assert "Status: deactivated" in team.admin.last().text


async def test_choosing_among_many_customers_pages_and_keeps_the_ticks(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await sales_team(bot, emulator)
    ids = [add_customer(db, team.tom, f"Customer {n:02d}") for n in range(1, 11)]
    await bot.send(team.manager, "/reassign")
    await bot.press(team.manager, "Tom · Sales rep · 10 customers")
    await bot.press(team.manager, "Sara · Sales rep · 0 customers")
    await bot.press(team.manager, "☑️ Choose customers")
    first = team.manager.last()
    assert first.button_texts()[-2:] == ["Next ▶", "Done (0 chosen)"]
    assert len(first.button_texts()) == 10  # eight customers, the pager, Done
    await bot.press(team.manager, "▫️ Customer 02")
    await bot.press(team.manager, "Next ▶")
    assert "Chosen: 1 of 10 · page 2 of 2" in team.manager.last().text
    await bot.press(team.manager, "▫️ Customer 10")
    assert team.manager.last().button_texts() == [
        "▫️ Customer 09",
        "✅ Customer 10",
        "◀ Previous",
        "Done (2 chosen)",
    ]
    await bot.press(team.manager, "Done (2 chosen)")
    await bot.press(team.manager, "✅ Move")
    sara = uid(db, team.sara)
    moved = [cid for cid in ids if owner_of(db, cid) == sara]
    assert moved == [ids[1], ids[9]]
    assert "The first" not in team.sara.last().text
    assert "They are: Customer 02, Customer 10." in team.sara.last().text


@pytest.mark.parametrize(
    ("before", "after", "keys", "expected"),
    [
        (
            "0019",
            "0020",
            ["payment_due:7:-3", "stale_deal:4:1764547200", "followup:9:2026-11-02", "brief:1"],
            [
                "payment_due:7:-3:{tom}",
                "stale_deal:4:1764547200:{tom}",
                "followup:9:2026-11-02",
                "brief:1",
            ],
        ),
        (
            "0028",
            "0029",
            ["quote_expiry:3", "payment_due:7:-3:{tom}", "brief:1"],
            ["quote_expiry:3:{tom}", "payment_due:7:-3:{tom}", "brief:1"],
        ),
    ],
)
def test_the_migration_names_the_recipient_in_the_keys_already_written(
    database_url: str, before: str, after: str, keys: list[str], expected: list[str]
) -> None:
    """Rows written before 0020 (payment reminders, stale deals) and before 0029 (quote-expiry
    warnings) get the recipient in their key, so no reminder is sent twice after the upgrade;
    the downgrade takes it off again. 0029 also adds the contacts' questions."""
    engine = create_db_engine(database_url)
    try:
        config = alembic_config(engine)
        command.upgrade(config, before)
        now = datetime(2026, 11, 1, tzinfo=UTC)
        user = sa.table(
            "user",
            *(sa.column(name, sa.String) for name in ("full_name", "language", "timezone", "role")),
            sa.column("id", sa.Integer),
            sa.column("telegram_id", sa.BigInteger),
            sa.column("is_active", sa.Boolean),
            sa.column("created_at", UTCDateTime()),
            sa.column("updated_at", UTCDateTime()),
        )
        rows = sa.table(
            "outbox",
            *(sa.column(name, sa.String) for name in ("key", "kind", "text", "state")),
            *(sa.column(name, sa.Integer) for name in ("chat_id", "user_id", "attempts")),
            *(sa.column(name, sa.Boolean) for name in ("promotional", "late")),
            *(
                sa.column(name, UTCDateTime())
                for name in ("due_at", "send_after", "created_at", "updated_at")
            ),
        )
        with engine.begin() as connection:
            tom = connection.execute(
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
            keys = [key.format(tom=tom) for key in keys]
            for key in keys:
                connection.execute(
                    rows.insert().values(
                        key=key,
                        kind=key.split(":")[0],
                        text="…",
                        state="sent",
                        chat_id=1,
                        user_id=tom,
                        attempts=1,
                        promotional=False,
                        late=False,
                        due_at=now,
                        send_after=now,
                        created_at=now,
                        updated_at=now,
                    )
                )

        def stored() -> list[str]:
            with engine.connect() as connection:
                return list(
                    connection.execute(sa.text("SELECT key FROM outbox ORDER BY id")).scalars()
                )

        def tables() -> set[str]:
            return set(sa.inspect(engine).get_table_names())

        command.upgrade(config, after)
        assert stored() == [key.format(tom=tom) for key in expected]
        assert ("contact_question" in tables()) is (after == "0029")
        command.downgrade(config, before)
        assert stored() == keys
        assert "contact_question" not in tables()
    finally:
        engine.dispose()
