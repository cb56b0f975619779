"""/approvals: everything waiting for this person's decision (quotes and terms requests), each
opening with Approve / Reject; the decision on a terms request, and the word to the requester
and to whoever decides next. Quotes keep their own buttons (``bot.handlers.quotes``)."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.handlers.replies import (
    callback_parts,
    int_part,
    keyboard,
    label,
    language_of_chat,
    show,
)
from bot.services import approvals, quotes
from bot.services.errors import NotFound
from models import TermsRequestState


async def ask_approvers(context: BotContext, decision: approvals.RequestDecision) -> None:
    """Send the request, with Approve / Reject, to each person who must decide next (in their
    own language)."""
    if not decision.notify:
        return
    renderer = context.deps.renderer
    with context.deps.db.session() as session:
        view = approvals.request_view(session, None, decision.request_id)
    for telegram_id in decision.notify:
        language = language_of_chat(context, telegram_id)
        buttons = keyboard(
            [
                [
                    (renderer.label(language, "approve"), f"tr:yes:{decision.request_id}"),
                    (renderer.label(language, "reject"), f"tr:no:{decision.request_id}"),
                ]
            ]
        )
        text = renderer.message(language, "approvals/request", request=view)
        await context.bot.send_message(telegram_id, text, reply_markup=buttons)


async def inbox(update: Update, context: BotContext) -> None:
    """/approvals: what waits for this person, oldest first, a button per item."""
    with context.deps.db.session() as session:
        items = approvals.waiting_for(session, context.me)
    rows = [
        [(label(update, context, "waiting_item", item), f"apv:{item.kind[0]}:{item.item_id}")]
        for item in items
    ]
    await show(
        update,
        context,
        "approvals/inbox",
        markup=keyboard(rows) if rows else None,
        items=items,
        timezone=context.me.timezone,
    )


async def open_waiting(update: Update, context: BotContext) -> None:
    """One waiting item with its Approve / Reject buttons (refused when no longer theirs)."""
    parts = callback_parts(update, "apv")
    kind, item_id = parts[0] if parts else "", int_part(parts, 1)
    if item_id is None or kind not in ("q", "t"):
        raise NotFound()
    back = (label(update, context, "back"), "apv:list")
    if kind == "q":
        with context.deps.db.session() as session:
            quotes.check_pending(session, context.me, item_id)
            quote = quotes.quote_view(session, context.me, item_id)
        buttons = [
            [
                (label(update, context, "approve"), f"qa:yes:{item_id}"),
                (label(update, context, "reject"), f"qa:no:{item_id}"),
            ],
            [back],
        ]
        markup = keyboard(buttons)
        await show(update, context, "quotes/approval_request", markup=markup, quote=quote)
        return
    with context.deps.db.session() as session:
        approvals.check_request_pending(session, context.me, item_id)
        view = approvals.request_view(session, context.me, item_id)
    buttons = [
        [
            (label(update, context, "approve"), f"tr:yes:{item_id}"),
            (label(update, context, "reject"), f"tr:no:{item_id}"),
        ],
        [back],
    ]
    await show(update, context, "approvals/request", markup=keyboard(buttons), request=view)


async def decide_request(update: Update, context: BotContext) -> None:
    """✅ Approve / ❌ Reject on a terms request."""
    parts = callback_parts(update, "tr")
    request_id = int_part(parts, 1)
    if request_id is None or parts[0] not in ("yes", "no"):
        raise NotFound()
    deps = context.deps
    with deps.db.session() as session:
        decision = approvals.decide_request(
            session, context.me, request_id, approve=parts[0] == "yes", now=deps.now()
        )
        view = approvals.request_view(session, context.me, request_id)
    await show(update, context, "approvals/decided", request=view)
    if decision.state != TermsRequestState.PENDING_MANAGER.value:
        language = language_of_chat(context, decision.requester_telegram_id)
        text = deps.renderer.message(language, "approvals/outcome_for_requester", request=view)
        await context.bot.send_message(decision.requester_telegram_id, text)
    await ask_approvers(context, decision)
