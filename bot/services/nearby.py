"""Where customers are, and which of them are near a place: a customer's place (set from a
shared location or the first check-in at a visit), "customers near me" for a shared location,
and the customers near yesterday's route for the morning brief.

The database finds them, in one query: a box around the place (or around all of yesterday's
check-ins) on the indexed latitude/longitude (``ix_customer_latitude_longitude``, or with the
owner first for a rep's own), then the squared equirectangular distance (to the nearest of the
points), computed, filtered and ordered in the same query. Plain arithmetic, the same on SQLite
and PostgreSQL; within a few kilometres it differs from the great-circle distance by far less
than 0.1 %.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from bot.services.errors import NotFound, ServiceError
from bot.services.people import Actor
from bot.services.segments import cadence_cutoff
from bot.services.visibility import customers_visible_to, refuse_read_only, visible_customer
from models import Customer, Touch

NEAR_KM = 5.0  # how far "near" reaches
NEAR_LIMIT = 8  # customers listed for one place
ROUTE_POINTS = 12  # check-ins of yesterday looked around, at most
ROUTE_LIMIT = 3  # customers the brief suggests
KM_PER_DEGREE = 6371.0088 * math.pi / 180  # along a meridian (mean Earth radius)
MIN_COS = 0.01  # near the poles a degree of longitude is short; never divide by ~0


class PlaceInvalid(ServiceError):
    """A point that is not on Earth (latitude beyond ±90, longitude beyond ±180, NaN)."""

    template = "nearby/place_invalid"


@dataclass(frozen=True)
class NearCustomer:
    customer_id: int
    name: str
    tier: str | None
    address: str | None
    latitude: float
    longitude: float
    km: float
    days_since_touch: int | None  # None: never touched
    past_cadence: bool  # longer without a touch than the tier's visit cadence


@dataclass(frozen=True)
class Place:
    customer_id: int
    name: str
    latitude: float | None
    longitude: float | None
    had_place: bool  # before this change


def valid_point(latitude: float, longitude: float) -> bool:
    return (
        math.isfinite(latitude)
        and math.isfinite(longitude)
        and -90.0 <= latitude <= 90.0
        and -180.0 <= longitude <= 180.0
    )


def place_of(session: Session, actor: Actor, customer_id: int) -> Place:
    """The customer's place, for a person who may change it."""
    refuse_read_only(actor)
    customer = visible_customer(session, actor, customer_id)
    had_place = customer.latitude is not None
    return Place(customer.id or 0, customer.name, customer.latitude, customer.longitude, had_place)


def set_location(
    session: Session,
    actor: Actor,
    customer_id: int,
    latitude: float,
    longitude: float,
    *,
    now: datetime,
) -> Place:
    """Make the point the customer's place (a rep their own, a manager the team's…)."""
    refuse_read_only(actor)
    if not valid_point(latitude, longitude):
        raise PlaceInvalid()
    customer = visible_customer(session, actor, customer_id)
    had_place = customer.latitude is not None
    customer.latitude, customer.longitude = latitude, longitude
    customer.updated_at = now
    session.add(customer)
    session.flush()
    return Place(customer.id or 0, customer.name, latitude, longitude, had_place)


def offers_place(session: Session, touch: Touch) -> bool:
    """Whether to ask, under a saved visit, to keep its check-in as the customer's place: the
    first check-in at a customer who has no place yet (asked once, never again)."""
    if touch.latitude is None or touch.longitude is None or touch.id is None:
        return False
    customer = session.get(Customer, touch.customer_id)
    if customer is None or customer.latitude is not None:
        return False
    earlier = session.exec(
        select(Touch.id)
        .where(
            Touch.customer_id == touch.customer_id,
            col(Touch.latitude).is_not(None),
            col(Touch.id) != touch.id,
        )
        .limit(1)
    ).first()
    return earlier is None


def keep_check_in(session: Session, actor: Actor, touch_id: int, *, now: datetime) -> Place:
    """📍 Keep as its place: the visit's check-in becomes its customer's place."""
    touch = session.get(Touch, touch_id)
    if touch is None or touch.deleted_at is not None or touch.latitude is None:
        raise NotFound()
    assert touch.longitude is not None
    return set_location(session, actor, touch.customer_id, touch.latitude, touch.longitude, now=now)


@dataclass(frozen=True)
class _Box:
    """The box around a point that holds every place within ``km`` of it (longitudes may run
    past ±180 when it crosses the antimeridian), and the cosine that scales a degree of
    longitude there."""

    south: float
    north: float
    west: float
    east: float
    cos: float

    @classmethod
    def around(cls, latitude: float, longitude: float, km: float) -> _Box:
        cos = max(math.cos(math.radians(latitude)), MIN_COS)
        dlat = km / KM_PER_DEGREE
        dlon = min(km / (KM_PER_DEGREE * cos), 180.0)
        return cls(latitude - dlat, latitude + dlat, longitude - dlon, longitude + dlon, cos)

    @property
    def crosses(self) -> bool:
        return self.west < -180.0 or self.east > 180.0

    def condition(self) -> sa.ColumnElement[bool]:
        """The condition on the indexed columns."""
        lon_c = col(Customer.longitude)
        if self.west < -180.0:  # across the antimeridian: two ranges of longitude
            lon_range = sa.or_(lon_c >= self.west + 360.0, lon_c <= self.east)
        elif self.east > 180.0:
            lon_range = sa.or_(lon_c >= self.west, lon_c <= self.east - 360.0)
        else:
            lon_range = lon_c.between(self.west, self.east)
        return sa.and_(col(Customer.latitude).between(self.south, self.north), lon_range)


def _squared_degrees(
    latitude: float, longitude: float, box: _Box
) -> sa.ColumnElement[float | None]:
    """The squared equirectangular distance to the point, in degrees of latitude."""
    dlat = col(Customer.latitude) - latitude
    dlon = col(Customer.longitude) - longitude
    if box.crosses:  # the shorter way round, across the antimeridian
        dlon = sa.case((dlon > 180.0, dlon - 360.0), (dlon < -180.0, dlon + 360.0), else_=dlon)
    return dlat * dlat + (dlon * box.cos) * (dlon * box.cos)


def near(
    session: Session,
    actor: Actor,
    latitude: float,
    longitude: float,
    *,
    now: datetime,
    cadence_days: dict[str, int],
    km: float = NEAR_KM,
    limit: int = NEAR_LIMIT,
) -> list[NearCustomer]:
    """The customers ``actor`` sees within ``km`` of the point, nearest first, with the days
    since their last touch and whether that is past their tier's cadence."""
    if not valid_point(latitude, longitude):
        raise PlaceInvalid()
    points = [(latitude, longitude)]
    return _nearest(session, actor, points, now=now, cadence_days=cadence_days, km=km, limit=limit)


def _nearest(
    session: Session,
    actor: Actor,
    points: list[tuple[float, float]],
    *,
    now: datetime,
    cadence_days: dict[str, int],
    km: float,
    limit: int,
    only_past_cadence: bool = False,
    leave_out: Iterable[int] = (),
) -> list[NearCustomer]:
    """The customers ``actor`` sees within ``km`` of any of the points, nearest (to the
    nearest point) first. One query: a box on the index around all the points, then each
    row's squared distance to the nearest point, filtered and ordered in the database."""
    boxes = [_Box.around(latitude, longitude, km) for latitude, longitude in points]
    distances = [
        _squared_degrees(latitude, longitude, box)
        for (latitude, longitude), box in zip(points, boxes, strict=True)
    ]
    if len(points) == 1:
        where, nearest = boxes[0].condition(), distances[0]
    else:
        # SQLite's scalar min() of several values is PostgreSQL's least().
        smallest = func.least if session.get_bind().dialect.name == "postgresql" else func.min
        nearest = smallest(*distances)
        if any(box.crosses for box in boxes):
            where = sa.or_(*(box.condition() for box in boxes))
        else:
            where = _Box(
                min(box.south for box in boxes),
                max(box.north for box in boxes),
                min(box.west for box in boxes),
                max(box.east for box in boxes),
                1.0,
            ).condition()
    distance = nearest.label("distance")
    radius = km / KM_PER_DEGREE
    conditions = [where, customers_visible_to(actor), distance <= radius * radius]
    left_out = list(leave_out)
    if left_out:
        conditions.append(col(Customer.id).not_in(left_out))
    if only_past_cadence:
        conditions.append(_past_cadence_condition(now, cadence_days))
    rows = session.exec(
        select(Customer, distance)
        .where(*conditions)
        .order_by(distance, col(Customer.id))
        .limit(limit)
    ).all()
    touched = _last_touches(session, [customer.id or 0 for customer, _ in rows])
    found = []
    for customer, squared in rows:
        assert customer.latitude is not None and customer.longitude is not None
        last = touched.get(customer.id or 0)
        since = last or customer.created_at
        days = (now - since).days
        cadence = cadence_days.get(customer.tier or "C", cadence_days["C"])
        found.append(
            NearCustomer(
                customer_id=customer.id or 0,
                name=customer.name,
                tier=customer.tier,
                address=customer.address,
                latitude=customer.latitude,
                longitude=customer.longitude,
                km=math.sqrt(max(float(squared or 0.0), 0.0)) * KM_PER_DEGREE,
                days_since_touch=None if last is None else days,
                past_cadence=days > cadence,
            )
        )
    return found


def _past_cadence_condition(now: datetime, cadence_days: dict[str, int]) -> sa.ColumnElement[bool]:
    """No touch since the customer's tier's cadence (the customer's creation counts as one)."""
    recent = (
        select(Touch.id)
        .where(
            col(Touch.customer_id) == col(Customer.id),
            col(Touch.deleted_at).is_(None),
            col(Touch.created_at) >= cadence_cutoff(now, cadence_days),
        )
        .exists()
    )
    return sa.and_(col(Customer.created_at) < cadence_cutoff(now, cadence_days), ~recent)


def _last_touches(session: Session, customer_ids: list[int]) -> dict[int, datetime]:
    """When each of a few customers was last touched, by anyone."""
    if not customer_ids:
        return {}
    rows = session.exec(
        select(Touch.customer_id, func.max(Touch.created_at))
        .where(col(Touch.customer_id).in_(customer_ids), col(Touch.deleted_at).is_(None))
        .group_by(col(Touch.customer_id))
    ).all()
    found = {}
    for customer_id, when in rows:
        if when is not None and when.tzinfo is None:  # an aggregate on SQLite comes back bare
            when = when.replace(tzinfo=UTC)
        found[customer_id] = when
    return found


def near_route(
    session: Session,
    actor: Actor,
    *,
    since: datetime,
    until: datetime,
    now: datetime,
    cadence_days: dict[str, int],
    limit: int = ROUTE_LIMIT,
) -> list[NearCustomer]:
    """For the morning brief: up to ``limit`` customers past their cadence near where the
    person checked in between ``since`` and ``until`` (yesterday), not visited there, nearest
    to the route first."""
    check_ins = session.exec(
        select(Touch.customer_id, Touch.latitude, Touch.longitude)
        .where(
            Touch.author_id == actor.user_id,
            col(Touch.created_at) >= since,
            col(Touch.created_at) < until,
            col(Touch.deleted_at).is_(None),
            col(Touch.latitude).is_not(None),
        )
        .order_by(col(Touch.created_at))
        .limit(ROUTE_POINTS)
    ).all()
    visited = {customer_id for customer_id, _lat, _lon in check_ins}
    points = sorted(
        {
            (latitude, longitude)
            for _customer_id, latitude, longitude in check_ins
            if latitude is not None and longitude is not None and valid_point(latitude, longitude)
        }
    )
    if not points:
        return []
    return _nearest(
        session,
        actor,
        points,
        now=now,
        cadence_days=cadence_days,
        km=NEAR_KM,
        limit=limit,
        only_past_cadence=True,
        leave_out=visited,
    )
