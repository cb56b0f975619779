"""Quote approvals: the request an approver gets (Approve / Reject), their decision, and the
word to the rep. Rejecting asks for a reason (``bot.conversations.quote_reject``)."""

from __future__ import annotations

from telegram import InputFile, Update

from bot.context import BotContext
from bot.handlers.replies import (
    answer_query,
    callback_parts,
    int_part,
    keyboard,
    language_of_chat,
    reply,
    show,
)
from bot.services import company, quotes
from bot.services.errors import NotFound
from models import QuoteStatus


async def request_approvals(context: BotContext, decision: quotes.Decision) -> None:
    """Send the approval request to each person who must decide next."""
    if not decision.notify:
        return
    renderer = context.deps.renderer
    with context.deps.db.session() as session:
        view = quotes.approval_view(session, decision.quote_id)
    for telegram_id in decision.notify:
        language = language_of_chat(context, telegram_id)
        buttons = keyboard(
            [
                [
                    (renderer.label(language, "approve"), f"qa:yes:{decision.quote_id}"),
                    (renderer.label(language, "reject"), f"qa:no:{decision.quote_id}"),
                ]
            ]
        )
        text = renderer.message(language, "quotes/approval_request", quote=view)
        await context.bot.send_message(telegram_id, text, reply_markup=buttons)


async def send_quote_document(context: BotContext, decision: quotes.Decision) -> None:
    """The issued quote as a PDF, to the rep who owns it."""
    if decision.status != QuoteStatus.ISSUED.value:
        return
    deps = context.deps
    with deps.db.session() as session:
        view = quotes.approval_view(session, decision.quote_id)
        people = quotes.recipients(session, context.me, decision.quote_id)
    language = language_of_chat(context, decision.owner_telegram_id)
    buttons = [
        [
            (
                deps.renderer.label(language, "send_quote_to", person.name),
                f"qs:{view.quote_id}:{person.contact_id}",
            )
        ]
        for person in people
    ]
    buttons.append([(deps.renderer.label(language, "history"), f"hist:q:{view.quote_id}:0")])
    await context.bot.send_document(
        decision.owner_telegram_id,
        InputFile(quote_pdf(context, view, language), filename=f"{view.number}.pdf"),
        caption=deps.renderer.message(language, "quotes/document_caption", quote=view),
        reply_markup=keyboard(buttons),
    )


def quote_pdf(context: BotContext, view: quotes.QuoteView, language: str | None) -> bytes:
    """The quote as a PDF in ``language`` (the reader's: the rep's, or the contact's)."""
    deps = context.deps
    issued_on = view.issued_at.date() if view.issued_at else deps.now().date()
    return deps.documents.render(language, "quotes/document", quote=view, issued_on=issued_on)


async def send_to_customer(update: Update, context: BotContext) -> None:
    """The rep sends the issued quote to a linked contact, with Accept / Decline."""
    parts = callback_parts(update, "qs")
    quote_id, contact_id = int_part(parts, 0), int_part(parts, 1)
    if quote_id is None or contact_id is None:
        raise NotFound()
    deps = context.deps
    with deps.db.session() as session:
        person = quotes.send_to_contact(
            session, context.me, quote_id, contact_id, today=context.local_today(), now=deps.now()
        )
        view = quotes.approval_view(session, quote_id)
    language = language_of_chat(context, person.chat_id)
    answer = keyboard(
        [
            [
                (deps.renderer.label(language, "accept_quote"), f"ct:qa:{quote_id}:yes"),
                (deps.renderer.label(language, "decline_quote"), f"ct:qa:{quote_id}:no"),
            ]
        ]
    )
    await context.bot.send_document(
        person.chat_id,
        InputFile(quote_pdf(context, view, language), filename=f"{view.number}.pdf"),
        caption=deps.renderer.message(language, "quotes/for_customer", quote=view),
        reply_markup=answer,
    )
    if update.callback_query is not None:
        await answer_query(update)
    await reply(update, context, "quotes/sent_to_customer", quote=view, name=person.name)


async def tell_outcome(update: Update, context: BotContext, decision: quotes.Decision) -> None:
    """Show the approver what they did, tell the rep, and pass on to the next approvers."""
    deps = context.deps
    with deps.db.session() as session:
        view = quotes.quote_view(session, context.me, decision.quote_id)
    await show(update, context, "quotes/decided", quote=view)
    language = language_of_chat(context, decision.owner_telegram_id)
    text = deps.renderer.message(language, "quotes/outcome_for_rep", quote=view)
    await context.bot.send_message(decision.owner_telegram_id, text)
    await send_quote_document(context, decision)
    await request_approvals(context, decision)


async def approve(update: Update, context: BotContext) -> None:
    quote_id = int_part(callback_parts(update, "qa"), 1)
    if quote_id is None:
        raise NotFound()
    deps = context.deps
    with deps.db.session() as session:
        decision = quotes.decide(
            session,
            context.me,
            quote_id,
            approve=True,
            limits=company.quote_limits(session, deps.settings),
            now=deps.now(),
        )
    await tell_outcome(update, context, decision)
