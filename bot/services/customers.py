"""Customers as a person may see them: a rep their own, a manager their team's, a director and
an admin everyone's. Every customer query goes through ``visible_to`` so no path can skip it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, true
from sqlmodel import Session, col, select

from bot.services.people import Actor
from models import Customer, Role, User

CUSTOMERS_PAGE_SIZE = 10


@dataclass(frozen=True)
class CustomerLine:
    customer_id: int
    name: str
    tier: str | None
    phone: str | None
    owner_name: str


@dataclass(frozen=True)
class CustomerPage:
    customers: list[CustomerLine]
    page: int
    pages: int
    total: int


def visible_to(actor: Actor) -> ColumnElement[bool]:
    """The condition on ``Customer`` rows that ``actor`` may see."""
    if actor.role in (Role.DIRECTOR, Role.ADMIN):
        return true()
    if actor.role == Role.MANAGER and actor.team_id is not None:
        team_members = select(User.id).where(User.team_id == actor.team_id)
        return col(Customer.owner_id).in_(team_members.scalar_subquery())
    return col(Customer.owner_id) == actor.user_id


def list_customers(session: Session, actor: Actor, page: int) -> CustomerPage:
    """The customers ``actor`` may see, by name, a page at a time."""
    condition = visible_to(actor)
    total = session.exec(select(func.count()).select_from(Customer).where(condition)).one()
    pages = max(1, -(-total // CUSTOMERS_PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    rows = session.exec(
        select(Customer, User)
        .join(User, col(Customer.owner_id) == col(User.id))
        .where(condition)
        .order_by(col(Customer.name), col(Customer.id))
        .offset(page * CUSTOMERS_PAGE_SIZE)
        .limit(CUSTOMERS_PAGE_SIZE)
    ).all()
    lines = [
        CustomerLine(
            customer_id=customer.id or 0,
            name=customer.name,
            tier=customer.tier,
            phone=customer.phone,
            owner_name=owner.full_name,
        )
        for customer, owner in rows
    ]
    return CustomerPage(customers=lines, page=page, pages=pages, total=total)
