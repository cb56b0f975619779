"""Who may see whose records: a rep their own, a manager their team's, a director, finance and
an admin everyone's (finance only reads: ``refuse_read_only``). Every query for customers, deals
and touches filters through here."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, true
from sqlmodel import Session, col, select

from bot.services.access import may_change_records
from bot.services.errors import NotAllowed, NotFound
from bot.services.people import Actor
from models import Customer, Role, User

SEES_EVERYONE = frozenset({Role.DIRECTOR, Role.FINANCE, Role.ADMIN})


def refuse_read_only(actor: Actor) -> None:
    """NotAllowed for a person whose role only reads records (finance)."""
    if not may_change_records(actor.role):
        raise NotAllowed()


def owned_by_visible(actor: Actor, owner_column: Any) -> ColumnElement[bool]:
    """The condition that the record whose owner is ``owner_column`` is visible to ``actor``."""
    if actor.role in SEES_EVERYONE:
        return true()
    if actor.role == Role.MANAGER and actor.team_id is not None:
        team_members = select(User.id).where(User.team_id == actor.team_id)
        return col(owner_column).in_(team_members.scalar_subquery())
    return col(owner_column) == actor.user_id


def customers_visible_to(actor: Actor) -> ColumnElement[bool]:
    """The condition on ``Customer`` rows that ``actor`` may see."""
    return owned_by_visible(actor, Customer.owner_id)


def visible_customer(session: Session, actor: Actor, customer_id: int) -> Customer:
    """The customer, or NotFound, the same whether it is missing or not the person's to see."""
    customer = session.exec(
        select(Customer).where(Customer.id == customer_id, customers_visible_to(actor))
    ).first()
    if customer is None:
        raise NotFound()
    return customer
