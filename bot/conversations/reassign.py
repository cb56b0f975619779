"""/reassign (managers, directors, admins): whose customers, to whom, all or chosen ones, then a
confirmation with what moves. Also the way a rep who still owns customers is deactivated from
/users: whom to give them to first, then the same confirmation. The rules are in
``bot.services.reassign``; this module only reads buttons and answers."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.context import BotContext
from bot.conversations.common import (
    END,
    clear_conversation_data,
    conversation_data,
    make_conversation,
    pick_with_buttons,
)
from bot.handlers import users
from bot.handlers.menu import publish_menu
from bot.handlers.replies import (
    Button,
    callback_parts,
    int_part,
    keyboard,
    label,
    page_part,
    pager,
    show,
)
from bot.services import reassign
from bot.services.errors import NotFound

logger = logging.getLogger(__name__)

NAME = "reassign"
GIVER, RECEIVER, SCOPE, PICK, CONFIRM = range(5)
TEXT = ~filters.COMMAND


def _data(context: BotContext) -> dict[str, Any]:
    return conversation_data(context, NAME)


def _int(update: Update, index: int) -> int:
    value = int_part(callback_parts(update, "ra"), index)
    if value is None:
        raise NotFound()
    return value


def _people_rows(
    update: Update, context: BotContext, page: reassign.StaffPage, pick: str, pages: str
) -> list[list[Button]]:
    rows = [
        [(label(update, context, "reassign_person", line), f"ra:{pick}:{line.user_id}")]
        for line in page.people
    ]
    return [*rows, pager(update, context, page.page, page.pages, f"ra:{pages}")]


# -- who gives ---------------------------------------------------------------------------------


async def start(update: Update, context: BotContext) -> int:
    if not reassign.may_reassign(context.me):
        await show(update, context, "reassign/not_for_role")
        return END
    clear_conversation_data(context, NAME)
    return await _ask_giver(update, context, 0)


async def giver_page(update: Update, context: BotContext) -> int:
    return await _ask_giver(update, context, _int(update, 1))


async def _ask_giver(update: Update, context: BotContext, page_number: int) -> int:
    with context.deps.db.session() as session:
        page = reassign.givers(session, context.me, page_number)
    if not page.people:
        await show(update, context, "reassign/no_givers")
        return END
    rows = _people_rows(update, context, page, "g", "gp")
    await show(update, context, "reassign/ask_giver", markup=keyboard(rows), page=page)
    return GIVER


async def giver_chosen(update: Update, context: BotContext) -> int:
    giver_id = _int(update, 1)
    data = _data(context)
    data.update(giver_id=giver_id, deactivate=False)
    return await _ask_receiver(update, context, 0)


# -- who receives ------------------------------------------------------------------------------


async def start_deactivation(update: Update, context: BotContext) -> int:
    """/users' Deactivate: a person who owns no customers is deactivated at once (the users
    handler); one who does is first asked whom to give them to."""
    user_id = int_part(callback_parts(update, "usr"), 1)
    if user_id is None:
        raise NotFound()
    deps = context.deps
    with deps.db.session() as session:
        owned = reassign.customers_to_hand_over(
            session, context.me, user_id, admin_ids=deps.settings.admin_telegram_ids
        )
    if not owned:
        await users.user_card(update, context)
        return END
    clear_conversation_data(context, NAME)
    _data(context).update(giver_id=user_id, deactivate=True, customer_ids=None)
    return await _ask_receiver(update, context, 0)


async def receiver_page(update: Update, context: BotContext) -> int:
    return await _ask_receiver(update, context, _int(update, 1))


async def _ask_receiver(update: Update, context: BotContext, page_number: int) -> int:
    data = _data(context)
    giver_id = int(data["giver_id"])
    with context.deps.db.session() as session:
        page = reassign.receivers(session, context.me, giver_id, page_number)
        owned = reassign.customers_owned(session, giver_id)
        giver = reassign.givers_name(session, context.me, giver_id)
    if not page.people:
        clear_conversation_data(context, NAME)
        await show(update, context, "reassign/no_receivers", giver=giver)
        return END
    rows = _people_rows(update, context, page, "r", "rp")
    await show(
        update,
        context,
        "reassign/ask_receiver",
        markup=keyboard(rows),
        page=page,
        giver=giver,
        customers=owned,
        deactivate=bool(data.get("deactivate")),
    )
    return RECEIVER


async def receiver_chosen(update: Update, context: BotContext) -> int:
    data = _data(context)
    receiver_id = _int(update, 1)
    with context.deps.db.session() as session:  # re-checked: in scope, active, not the giver
        reassign.receivers_check(session, context.me, int(data["giver_id"]), receiver_id)
        owned = reassign.customers_owned(session, int(data["giver_id"]))
        giver = reassign.givers_name(session, context.me, int(data["giver_id"]))
    data["receiver_id"] = receiver_id
    if data.get("deactivate"):
        return await _confirm(update, context)
    rows = [
        [(label(update, context, "reassign_all", owned), "ra:all")],
        [(label(update, context, "reassign_choose"), "ra:pick")],
    ]
    await show(
        update, context, "reassign/ask_scope", markup=keyboard(rows), giver=giver, customers=owned
    )
    return SCOPE


# -- which customers ---------------------------------------------------------------------------


async def all_chosen(update: Update, context: BotContext) -> int:
    _data(context)["customer_ids"] = None
    return await _confirm(update, context)


async def pick_chosen(update: Update, context: BotContext) -> int:
    _data(context)["customer_ids"] = []
    return await _show_pick(update, context, 0)


async def pick_page(update: Update, context: BotContext) -> int:
    return await _show_pick(update, context, page_part(callback_parts(update, "ra"), 1))


async def toggled(update: Update, context: BotContext) -> int:
    data = _data(context)
    customer_id, page_number = _int(update, 1), page_part(callback_parts(update, "ra"), 2)
    with context.deps.db.session() as session:
        data["customer_ids"] = reassign.toggle_customer(
            session, context.me, int(data["giver_id"]), customer_id, data.get("customer_ids") or []
        )
    return await _show_pick(update, context, page_number)


async def _show_pick(
    update: Update, context: BotContext, page_number: int, *, nothing: bool = False
) -> int:
    data = _data(context)
    with context.deps.db.session() as session:
        page = reassign.giver_customers(
            session, context.me, int(data["giver_id"]), data.get("customer_ids") or [], page_number
        )
    rows: list[list[Button]] = [
        [(label(update, context, "reassign_toggle", item), f"ra:t:{item.customer_id}:{page.page}")]
        for item in page.customers
    ]
    rows.append(pager(update, context, page.page, page.pages, "ra:cp"))
    rows.append([(label(update, context, "reassign_done", page.chosen), "ra:done")])
    await show(update, context, "reassign/pick", markup=keyboard(rows), page=page, nothing=nothing)
    return PICK


async def pick_done(update: Update, context: BotContext) -> int:
    return await _confirm(update, context)


async def _confirm(update: Update, context: BotContext) -> int:
    data = _data(context)
    ids = data.get("customer_ids")
    with context.deps.db.session() as session:
        try:
            plan = reassign.plan(
                session, context.me, int(data["giver_id"]), int(data["receiver_id"]), ids
            )
        except reassign.NothingChosen:
            plan = None
    if plan is None:  # Done with nothing ticked: the same list again, with the reason
        return await _show_pick(update, context, 0, nothing=True)
    rows = [
        [
            (label(update, context, "reassign_move"), "ra:yes"),
            (label(update, context, "reassign_cancel"), "ra:no"),
        ]
    ]
    await show(
        update,
        context,
        "reassign/confirm",
        markup=keyboard(rows),
        plan=plan,
        deactivate=bool(data.get("deactivate")),
    )
    return CONFIRM


# -- confirm -----------------------------------------------------------------------------------


async def confirmed(update: Update, context: BotContext) -> int:
    data = _data(context)
    deps = context.deps
    with deps.db.session() as session:
        done = reassign.hand_over(
            session,
            context.me,
            int(data["giver_id"]),
            int(data["receiver_id"]),
            data.get("customer_ids"),
            now=deps.now(),
            deactivate=bool(data.get("deactivate")),
            admin_ids=deps.settings.admin_telegram_ids,
        )
    clear_conversation_data(context, NAME)
    await show(update, context, "reassign/done", done=done)
    if done.deactivated:
        await publish_menu(context, done.giver_telegram_id, None, None)
    await _tell_receiver(context, done)
    return END


async def _tell_receiver(context: BotContext, done: reassign.HandoverDone) -> None:
    """One message to the receiver, in their language, with a button per first customer and one
    to answer each contact whose question waits; and,
    when quotes waiting for a manager moved to another team, a word to that team's managers."""
    renderer, language = context.deps.renderer, done.receiver_language
    rows = [
        [(renderer.label(language, "customer_button", {"name": name}), f"cus:open:{cid}")]
        for cid, name in done.first_customers
    ]
    asking = {question.contact_id: question.contact_name for question in done.questions}
    rows += [
        [(renderer.label(language, "answer_contact", name), f"rr:{contact_id}")]
        for contact_id, name in asking.items()
    ]
    text = renderer.message(language, "reassign/received", done=done, by=context.me.full_name)
    try:
        await context.bot.send_message(done.receiver_telegram_id, text, reply_markup=keyboard(rows))
    except TelegramError as error:  # the move stands; they see the customers in their lists
        logger.warning("could not tell %s what they received: %s", done.plan.receiver_id, error)
    for chat_id, their_language in done.new_approvers:
        text = renderer.message(
            their_language, "reassign/new_approver", done=done, by=context.me.full_name
        )
        try:
            await context.bot.send_message(chat_id, text)
        except TelegramError as error:  # the quotes wait in their /approvals all the same
            logger.warning("could not tell approver %s about moved quotes: %s", chat_id, error)


async def cancelled(update: Update, context: BotContext) -> int:
    clear_conversation_data(context, NAME)
    await show(update, context, "reassign/cancelled")
    return END


def reassign_conversation() -> ConversationHandler[BotContext]:
    buttons_only = MessageHandler(TEXT, pick_with_buttons)
    return make_conversation(
        NAME,
        entry_points=[
            CommandHandler("reassign", start, filters=filters.ChatType.PRIVATE),
            CallbackQueryHandler(start_deactivation, pattern=r"^usr:off:\d+:\d+$"),
        ],
        states={
            GIVER: [
                CallbackQueryHandler(giver_chosen, pattern=r"^ra:g:\d+$"),
                CallbackQueryHandler(giver_page, pattern=r"^ra:gp:\d+$"),
                buttons_only,
            ],
            RECEIVER: [
                CallbackQueryHandler(receiver_chosen, pattern=r"^ra:r:\d+$"),
                CallbackQueryHandler(receiver_page, pattern=r"^ra:rp:\d+$"),
                buttons_only,
            ],
            SCOPE: [
                CallbackQueryHandler(all_chosen, pattern=r"^ra:all$"),
                CallbackQueryHandler(pick_chosen, pattern=r"^ra:pick$"),
                buttons_only,
            ],
            PICK: [
                CallbackQueryHandler(toggled, pattern=r"^ra:t:\d+:\d+$"),
                CallbackQueryHandler(pick_page, pattern=r"^ra:cp:\d+$"),
                CallbackQueryHandler(pick_done, pattern=r"^ra:done$"),
                buttons_only,
            ],
            CONFIRM: [
                CallbackQueryHandler(confirmed, pattern=r"^ra:yes$"),
                CallbackQueryHandler(cancelled, pattern=r"^ra:no$"),
                buttons_only,
            ],
        },
    )
