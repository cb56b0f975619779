"""Customer contacts in their own chat: linking by the rep's one-time link, consent, /stop,
/myorders, and questions forwarded to the owner rep. A contact reaches nothing else: the
access gate sends every update of theirs here and no further."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update

from bot.context import BotContext
from bot.handlers.replies import (
    alert,
    answer_query,
    callback_parts,
    int_part,
    keyboard,
    label,
    message_text,
    reply,
    show,
)
from bot.services import contacts, quotes, records, tickets
from bot.services.contacts import ContactPerson
from bot.services.errors import NotFound
from bot.services.people import language_of_code
from models import TicketKind

TICKET_KINDS = tuple(kind.value for kind in TicketKind)
TICKET_DRAFT = "contact_ticket_kind"  # in user_data while the contact opens a request
BIRTHDAY_DRAFT = "contact_birthday"  # in user_data while the bot waits for their birthday
CHOOSING_KIND = "?"


def _consent_buttons(update: Update, context: BotContext) -> InlineKeyboardMarkup:
    return keyboard(
        [
            [
                (label(update, context, "consent_yes"), "ct:opt:yes"),
                (label(update, context, "consent_no"), "ct:opt:no"),
            ]
        ]
    )


async def link(update: Update, context: BotContext, code: str) -> None:
    """``/start c_…`` from someone new: connect them to the contact and ask for consent."""
    user = update.effective_user
    assert user is not None
    deps = context.deps
    with deps.db.session() as session:
        person = contacts.redeem_link(
            session, code, user.id, language=language_of_code(user.language_code), now=deps.now()
        )
    context.contact_language = person.language
    await reply(
        update, context, "contacts/welcome", markup=_consent_buttons(update, context), person=person
    )


async def dispatch(update: Update, context: BotContext, person: ContactPerson) -> None:
    """Everything a linked contact sends."""
    deps = context.deps
    query = update.callback_query
    drafting = context.user_data.get(TICKET_DRAFT) if context.user_data is not None else None
    if query is not None:
        parts = callback_parts(update, "ct")
        if parts[:1] == ["qa"] and parts[2:3] in (["yes"], ["no"]):
            await answer_quote(update, context, person, int_part(parts, 1), parts[2] == "yes")
        elif parts[:1] == ["rate"] and len(parts) == 3:
            ticket_id, stars = int_part(parts, 1), int_part(parts, 2)
            if ticket_id is None or stars is None:
                raise NotFound()
            with deps.db.session() as session:
                tickets.rate(session, person.contact_id, ticket_id, stars, now=deps.now())
            await show(update, context, "tickets/rated", stars=stars, person=person)
        elif parts[:1] == ["tk"] and parts[1:2] and parts[1] in TICKET_KINDS and drafting:
            if context.user_data is not None:
                context.user_data[TICKET_DRAFT] = parts[1]
            await show(update, context, "contacts/ticket_describe", kind=parts[1], person=person)
        elif parts[:1] == ["opt"] and parts[1:2] in (["yes"], ["no"]):
            with deps.db.session() as session:
                person = contacts.set_opt_in(
                    session, person.contact_id, parts[1] == "yes", now=deps.now()
                )
                ask_birthday = person.opted_in and records.ask_birthday_once(
                    session, person.contact_id, now=deps.now()
                )
            await show(
                update, context, "contacts/consent_saved", person=person, ask_birthday=ask_birthday
            )
        else:
            await alert(update, context, "not_found_alert")
        return
    text = message_text(update).strip()
    command = text.split()[0].split("@")[0].lower() if text.startswith("/") else ""
    birthday_pending = context.user_data.get(BIRTHDAY_DRAFT) if context.user_data else None
    if drafting and command in ("", "/cancel"):
        await ticket_described(update, context, person, drafting, text, cancel=bool(command))
    elif command == "/birthday" or (birthday_pending and command in ("", "/cancel")):
        given = text.partition(" ")[2] if command == "/birthday" else text
        await birthday_given(update, context, person, given, cancel=command == "/cancel")
    elif command == "/ticket":
        if context.user_data is not None:
            context.user_data[TICKET_DRAFT] = CHOOSING_KIND
        await ask_ticket_kind(update, context, again=False)
    elif command == "/stop":
        with deps.db.session() as session:
            person = contacts.set_opt_in(session, person.contact_id, False, now=deps.now())
        await reply(update, context, "contacts/stopped", person=person)
    elif command == "/myorders":
        with deps.db.session() as session:
            orders = contacts.orders_for_contact(session, person, today=context.local_today())
        await reply(update, context, "contacts/orders", orders=orders, person=person)
    elif command == "/start" and text.split()[1:2] and text.split()[1].startswith("c_"):
        await link(update, context, text.split()[1])
    elif text and not command:
        with deps.db.session() as session:
            contacts.ask_question(session, person, text, now=deps.now())
        await context.bot.send_message(
            person.owner_telegram_id,
            deps.renderer.message(
                person.owner_language, "contacts/question_for_rep", person=person, text=text
            ),
            reply_markup=keyboard(
                [
                    [
                        (
                            deps.renderer.label(person.owner_language, "answer"),
                            f"rr:{person.contact_id}",
                        )
                    ]
                ]
            ),
        )
        await reply(update, context, "contacts/question_sent", person=person)
    else:
        await reply(update, context, "contacts/help", person=person)


async def birthday_given(
    update: Update, context: BotContext, person: ContactPerson, text: str, *, cancel: bool
) -> None:
    """``/birthday`` (optionally with the date): the contact's own birthday, for a greeting."""
    assert context.user_data is not None
    if cancel:
        context.user_data.pop(BIRTHDAY_DRAFT, None)
        await reply(update, context, "cancelled")
        return
    if not text.strip():
        context.user_data[BIRTHDAY_DRAFT] = True
        await reply(update, context, "contacts/birthday_ask", again=False, person=person)
        return
    deps = context.deps
    try:
        with deps.db.session() as session:
            change = records.set_own_birthday(session, person.contact_id, text, now=deps.now())
    except records.ValueInvalid:
        context.user_data[BIRTHDAY_DRAFT] = True
        await reply(update, context, "contacts/birthday_ask", again=True, person=person)
        return
    context.user_data.pop(BIRTHDAY_DRAFT, None)
    await reply(update, context, "contacts/birthday_saved", change=change, person=person)


async def ask_ticket_kind(update: Update, context: BotContext, *, again: bool) -> None:
    rows = [
        [(label(update, context, "ticket_kind", kind), f"ct:tk:{kind}")] for kind in TICKET_KINDS
    ]
    await reply(update, context, "contacts/ticket_kind", markup=keyboard(rows), again=again)


async def ticket_described(
    update: Update,
    context: BotContext,
    person: ContactPerson,
    kind: str,
    text: str,
    *,
    cancel: bool,
) -> None:
    """The description of a request the contact is opening; the owner rep is told at once."""
    assert context.user_data is not None
    if cancel:
        context.user_data.pop(TICKET_DRAFT, None)
        await reply(update, context, "cancelled")
        return
    if kind == CHOOSING_KIND:
        await ask_ticket_kind(update, context, again=True)
        return
    if not text:
        await reply(update, context, "contacts/ticket_describe", kind=kind, person=person)
        return
    deps = context.deps
    with deps.db.session() as session:
        ticket = tickets.open_ticket_as_contact(
            session,
            person.contact_id,
            TicketKind(kind),
            text,
            due_hours=deps.settings.ticket_due_hours,
            now=deps.now(),
        )
        ticket_id = ticket.id or 0
    context.user_data.pop(TICKET_DRAFT, None)
    hours = deps.settings.ticket_due_hours[kind]
    await reply(
        update, context, "contacts/ticket_opened", ticket_id=ticket_id, hours=hours, person=person
    )
    await context.bot.send_message(
        person.owner_telegram_id,
        deps.renderer.message(
            person.owner_language,
            "tickets/opened_by_contact",
            person=person,
            kind=kind,
            text=text,
            ticket_id=ticket_id,
        ),
        reply_markup=keyboard(
            [[(deps.renderer.label(person.owner_language, "open_ticket"), f"tk:open:{ticket_id}")]]
        ),
    )


async def answer_quote(
    update: Update, context: BotContext, person: ContactPerson, quote_id: int | None, accept: bool
) -> None:
    """Accept or Decline under a quote sent to the contact; the rep is told at once."""
    if quote_id is None:
        raise NotFound()
    deps = context.deps
    with deps.db.session() as session:
        answer = quotes.answer_quote(
            session, person.contact_id, quote_id, accept=accept, now=deps.now()
        )
    if update.callback_query is not None:
        await answer_query(update)
    await reply(update, context, "contacts/quote_answered", answer=answer, person=person)
    await context.bot.send_message(
        answer.owner_telegram_id,
        deps.renderer.message(
            person.owner_language, "quotes/customer_answer", answer=answer, person=person
        ),
        reply_markup=keyboard(
            [
                [
                    (
                        deps.renderer.label(person.owner_language, "open_deal"),
                        f"deal:open:{answer.deal_id}",
                    )
                ]
            ]
        ),
    )


async def list_contacts(update: Update, context: BotContext) -> None:
    """A rep's list of a customer's contacts, to make a link for one of them."""
    customer_id = int_part(callback_parts(update, "ct"), 1)
    if customer_id is None:
        raise NotFound()
    with context.deps.db.session() as session:
        people = contacts.contacts_of(session, context.me, customer_id)
    rows = [
        [(label(update, context, "contact_button", item), f"ct:mk:{item.contact_id}")]
        for item in people
    ]
    await show(
        update, context, "contacts/pick", markup=keyboard(rows) if rows else None, people=people
    )


async def make_link(update: Update, context: BotContext) -> None:
    contact_id = int_part(callback_parts(update, "ct"), 1)
    if contact_id is None:
        raise NotFound()
    deps = context.deps
    with deps.db.session() as session:
        code, name = contacts.create_link(session, context.me, contact_id, now=deps.now())
    await show(
        update,
        context,
        "contacts/link",
        name=name,
        link=f"https://t.me/{context.bot.username}?start={code}",
    )
