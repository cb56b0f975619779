"""Quick capture as people really send it: which customer a typed name means (a name typed in
full is that customer, without a question), and a long note that Telegram split into several
messages put back together. No Telegram here; the /visit conversation passes plain values.

Telegram splits a text longer than 4,096 characters into several messages that arrive within
a second or two of each other. A text is taken as the continuation of the note before it when
the note before it was long (at least ``SPLIT_PART_MIN_LENGTH`` characters and at most the
limit: a part cut at the limit, or at the last space or line before it) and it was sent at most
``CONTINUATION_WINDOW`` after it, by the messages' own dates (so a backlog after a restart does
not change the answer). A short note followed quickly by a short answer is two messages.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.services.customers import SEARCH_LIMIT, CustomerLine, search_customers
from bot.services.people import Actor
from bot.services.visibility import customers_visible_to
from models import Customer, User

TELEGRAM_TEXT_LIMIT = 4096
SPLIT_PART_MIN_LENGTH = 3500
CONTINUATION_WINDOW = timedelta(seconds=3)


def text_length(text: str) -> int:
    """The length of ``text`` as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def customers_named(session: Session, actor: Actor, name: str) -> list[CustomerLine]:
    """Visible customers whose name is exactly ``name``, ignoring case and spaces."""
    wanted = "".join(name.split())
    if not wanted:
        return []
    squeezed = func.lower(func.replace(func.replace(col(Customer.name), " ", ""), "\u3000", ""))
    rows = session.exec(
        select(Customer, User)
        .join(User, col(Customer.owner_id) == col(User.id))
        .where(customers_visible_to(actor), squeezed == func.lower(wanted))
        .order_by(col(Customer.id))
        .limit(SEARCH_LIMIT)
    ).all()
    return [
        CustomerLine(
            customer_id=customer.id or 0,
            name=customer.name,
            tier=customer.tier,
            phone=customer.phone,
            owner_name=owner.full_name,
        )
        for customer, owner in rows
    ]


def capture_customers(session: Session, actor: Actor, typed: str) -> list[CustomerLine]:
    """The customers a quick capture may mean: the one named exactly, else a fuzzy search."""
    return customers_named(session, actor, typed) or search_customers(session, actor, typed)


def is_continuation(*, previous_length: int, previous_at: datetime, at: datetime) -> bool:
    """Whether a text sent at ``at`` is the rest of a note of ``previous_length`` characters
    sent at ``previous_at`` (see the module's docstring)."""
    if not SPLIT_PART_MIN_LENGTH <= previous_length <= TELEGRAM_TEXT_LIMIT:
        return False  # too short to have been cut, or longer than any part Telegram sends
    return timedelta(0) <= at - previous_at <= CONTINUATION_WINDOW


_CJK_RANGES = (("\u3000", "\u9fff"), ("\uf900", "\ufaff"), ("\uff00", "\uffef"))


def _is_cjk(char: str) -> bool:
    return any(low <= char <= high for low, high in _CJK_RANGES)


def join_note_parts(first: str, rest: str) -> str:
    """The note whose parts are ``first`` and ``rest``: a part cut at the limit, or at a space
    or line that is kept, joins as it is; a part cut at a space that was dropped gets it back
    (Chinese needs none)."""
    if not first or not rest:
        return first + rest
    if first[-1].isspace() or rest[0].isspace() or text_length(first) >= TELEGRAM_TEXT_LIMIT:
        return first + rest
    if _is_cjk(first[-1]) or _is_cjk(rest[0]):
        return first + rest
    return f"{first} {rest}"
