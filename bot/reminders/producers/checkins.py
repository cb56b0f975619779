"""Post-purchase check-ins: CHECK_IN_DAYS after an order was delivered (counted in the contact's
own days), each linked, opted-in contact of the customer is asked at 10:00 their time how the
purchase is working for them; their reply reaches the owner rep like any question. Promotional:
held back while the customer has an open complaint. One missed for longer than CATCH_UP_HOURS
(the bot was down) is dropped. Key ``checkin:<order>:<contact>``."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from bot.reminders.scheduler import Tick
from bot.reminders.timing import local_date
from bot.services import care
from models import Contact, Customer, Deal, SalesOrder, User

KIND = "checkin"
CHECK_IN_TIME = "10:00"


def produce(tick: Tick) -> None:
    if not tick.may_pass(CHECK_IN_TIME):
        return  # check-ins fall due only at CHECK_IN_TIME
    catch_up = timedelta(hours=tick.settings.catch_up_hours)
    since = tick.now - catch_up
    after = timedelta(days=tick.settings.check_in_days)
    rows = tick.session.exec(
        select(SalesOrder, Deal, Customer, Contact)
        .join(Deal, col(SalesOrder.deal_id) == col(Deal.id))
        .join(Customer, col(SalesOrder.customer_id) == col(Customer.id))
        .join(Contact, col(Contact.customer_id) == col(Customer.id))
        .where(
            col(SalesOrder.delivered_at).is_not(None),
            # The local day of delivery is within a day of its UTC instant.
            col(SalesOrder.delivered_at) > since - after - timedelta(days=2),
            col(SalesOrder.delivered_at) <= tick.now - after + timedelta(days=2),
            care.reachable(),
        )
        .order_by(col(SalesOrder.id), col(Contact.id))
    ).all()
    for order, deal, customer, contact in rows:
        assert order.delivered_at is not None
        zone = tick.contact_zone(contact)
        day = local_date(order.delivered_at, zone) + after
        due = tick.at(day, CHECK_IN_TIME, zone)
        if not since < due <= tick.now:
            continue
        owner = tick.session.get(User, customer.owner_id)
        tick.to_contact(
            contact,
            key=f"{KIND}:{order.id}:{contact.id}",
            kind=KIND,
            due_at=due,
            expires_at=due + catch_up,
            template="care/checkin",
            promotional=True,
            ref_id=order.id,
            order=order,
            purchase=deal.title,
            customer=customer,
            rep_name=owner.full_name if owner is not None else None,
        )
