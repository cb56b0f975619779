"""Company settings: the values an admin may override in /settings (🏢 Company settings) —
staff and contact quiet hours, the rep's and manager's maximum quote discount, and the windows
within which people choose their own brief and digest time — and each person's own brief and
digest time.

The operator's environment (``bot.settings.Settings``) gives the defaults; a ``company_setting``
row overrides one (``default`` removes it again). ``effective`` is what everyone else reads:
the quote limits, the dispatcher's quiet hours, the brief producer. Every change is in the
change history (``company_setting`` and ``user`` are tracked by ``bot.services.history``).

Nothing here knows Telegram; the words are ``templates/<lang>/settings/``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlmodel import Session, select

from bot.services.errors import NotFound, ServiceError
from bot.services.people import Actor
from bot.services.quotes import Limits
from models import CompanySetting, Role, User

# The settings an admin may override, by key (each the name of its ``Settings`` field).
RANGES = ("staff_quiet_hours", "contact_quiet_hours", "brief_time_window", "digest_time_window")
PERCENTS = ("quote_rep_max_discount", "quote_manager_max_discount")
KEYS = (
    "staff_quiet_hours",
    "contact_quiet_hours",
    "quote_rep_max_discount",
    "quote_manager_max_discount",
    "brief_time_window",
    "digest_time_window",
)
DEFAULT_WORDS = frozenset({"default", "reset", "默认", "恢复默认"})
# Who gets a morning brief (directors on days an approval waits for them) and who a digest.
BRIEF_ROLES = (Role.REP, Role.MANAGER, Role.FINANCE, Role.DIRECTOR)
DIGEST_ROLES = (Role.MANAGER, Role.DIRECTOR)
PERSONAL = {"brief": BRIEF_ROLES, "digest": DIGEST_ROLES}

_TIME = re.compile(r"^(\d{1,2})\s*[:：.]\s*(\d{2})$")
_RANGE_SPLIT = re.compile(r"\s*(?:-|–|—|~|～|到|至)\s*")
_PERCENT = re.compile(r"^\d{1,3}(?:\.\d{1,2})?$")
HUNDRED = Decimal(100)


class AskAgain(ServiceError):
    """A typed value that does not fit: the person is told why and asked again."""


class SettingInvalid(AskAgain):
    """Not the form of the setting (a range of the day, or a percentage 0-100)."""

    template = "settings/company_invalid"


class DiscountOrder(AskAgain):
    """The rep's limit would be above the manager's."""

    template = "settings/discount_order"


class TimeInvalid(AskAgain):
    template = "settings/time_invalid"


class TimeOutsideWindow(AskAgain):
    """A brief or digest time outside the admin's window."""

    template = "settings/time_outside_window"


@dataclass(frozen=True)
class DayRange:
    """A range of the day, ``start``–``end``; one that ends before it starts runs past midnight;
    start equal to end is empty (no quiet hours)."""

    start: time
    end: time

    @property
    def text(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def contains(self, moment: time) -> bool:
        if self.start <= self.end:
            return self.start <= moment <= self.end
        return moment >= self.start or moment <= self.end

    @classmethod
    def parse(cls, text: str) -> DayRange | None:
        parts = _RANGE_SPLIT.split(text.strip())
        if len(parts) != 2:
            return None
        start, end = parse_clock(parts[0]), parse_clock(parts[1])
        if start is None or end is None:
            return None
        return cls(start, end)


@dataclass(frozen=True)
class CompanySettings:
    """The values in force: the admin's where set, else the environment's."""

    staff_quiet_hours: DayRange
    contact_quiet_hours: DayRange
    quote_rep_max_discount: Decimal
    quote_manager_max_discount: Decimal
    brief_time_window: DayRange
    digest_time_window: DayRange
    overridden: frozenset[str]

    def window(self, which: str) -> DayRange:
        return self.brief_time_window if which == "brief" else self.digest_time_window


@dataclass(frozen=True)
class SettingLine:
    """One setting as /settings shows it: ``value`` and ``default`` as text ("22:00-07:00",
    "10" for a percentage; ``kind`` says which)."""

    key: str
    kind: str  # "range" or "percent"
    value: str
    default: str
    overridden: bool


@dataclass(frozen=True)
class PersonalTimes:
    """A person's own brief and digest time (None: the company's), and which they may set."""

    brief_time: str | None
    digest_time: str | None
    company_brief_time: str
    company_digest_time: str
    gets_brief: bool
    gets_digest: bool
    is_admin: bool


def parse_clock(text: str) -> time | None:
    """``7:15``, ``07:15`` or ``7：15`` as a time of day; None if it is not one."""
    found = _TIME.match(text.strip())
    if not found:
        return None
    hours, minutes = int(found.group(1)), int(found.group(2))
    if hours > 23 or minutes > 59:
        return None
    return time(hours, minutes)


def parse_percent(text: str) -> Decimal | None:
    cleaned = text.strip().rstrip("%％").strip()
    if not _PERCENT.match(cleaned):
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    return value if value <= HUNDRED else None


def percent_text(value: Decimal) -> str:
    """``12.5`` for 12.50, ``10`` for 10.00."""
    text = format(value.quantize(Decimal("0.01")), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def is_default_word(text: str) -> bool:
    return text.strip().lower() in DEFAULT_WORDS


def _parsed(key: str, text: str) -> Any:
    if key in RANGES:
        return DayRange.parse(text)
    return parse_percent(text)


def _environment(settings: Any, key: str) -> Any:
    value = getattr(settings, key)
    return DayRange.parse(value) if key in RANGES else Decimal(value)


def _values(settings: Any, rows: dict[str, str]) -> CompanySettings:
    values: dict[str, Any] = {}
    for key in KEYS:
        stored = _parsed(key, rows[key]) if key in rows else None
        values[key] = stored if stored is not None else _environment(settings, key)
    return CompanySettings(**values, overridden=frozenset(rows))


def effective(session: Session, settings: Any) -> CompanySettings:
    """The company settings in force (one statement: the table holds a few rows)."""
    rows = {row.key: row.value for row in session.exec(select(CompanySetting))}
    return _values(settings, rows)


def quote_limits(session: Session, settings: Any) -> Limits:
    """The discount limits a quote is checked against (rep, manager) and its validity."""
    values = effective(session, settings)
    return Limits(
        rep=values.quote_rep_max_discount,
        manager=values.quote_manager_max_discount,
        validity_days=settings.quote_validity_days,
    )


def _text_of(key: str, value: Any) -> str:
    return value.text if isinstance(value, DayRange) else percent_text(value)


def _require_admin(actor: Actor) -> None:
    # Anyone else pressing a forged button learns nothing: the same answer as a missing record.
    if actor.role != Role.ADMIN:
        raise NotFound()


def company_lines(session: Session, actor: Actor, settings: Any) -> list[SettingLine]:
    """Every company setting with its value and default, for an admin."""
    _require_admin(actor)
    values = effective(session, settings)
    return [
        SettingLine(
            key=key,
            kind="range" if key in RANGES else "percent",
            value=_text_of(key, getattr(values, key)),
            default=_text_of(key, _environment(settings, key)),
            overridden=key in values.overridden,
        )
        for key in KEYS
    ]


def company_line(session: Session, actor: Actor, key: str, settings: Any) -> SettingLine:
    """One company setting, for an admin about to change it."""
    for line in company_lines(session, actor, settings):
        if line.key == key:
            return line
    raise NotFound()


def change_setting(
    session: Session, actor: Actor, key: str, text: str, settings: Any, *, now: datetime
) -> SettingLine:
    """Save an admin's value for ``key`` (``default``: back to the environment's value) and
    return the setting as it is now. Refuses a value that does not fit (``SettingInvalid``)
    and a rep's limit above the manager's (``DiscountOrder``)."""
    line = company_line(session, actor, key, settings)
    row = session.get(CompanySetting, key)
    rows = {item.key: item.value for item in session.exec(select(CompanySetting))}
    if is_default_word(text):
        rows.pop(key, None)
    else:
        value = _parsed(key, text)
        if value is None:
            raise SettingInvalid(key=key, kind=line.kind, text=text[:60])
        rows[key] = _text_of(key, value)
    values = _values(settings, rows)
    if values.quote_rep_max_discount > values.quote_manager_max_discount:
        raise DiscountOrder(
            rep=percent_text(values.quote_rep_max_discount),
            manager=percent_text(values.quote_manager_max_discount),
        )
    if key not in rows:
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(
            CompanySetting(key=key, value=rows[key], updated_at=now, updated_by_id=actor.user_id)
        )
    else:
        row.value, row.updated_at, row.updated_by_id = rows[key], now, actor.user_id
    session.flush()
    return company_line(session, actor, key, settings)


# -- each person's own brief and digest time ---------------------------------------------------


def personal_times(session: Session, actor: Actor, settings: Any) -> PersonalTimes:
    user = session.get(User, actor.user_id)
    if user is None:
        raise NotFound()
    return PersonalTimes(
        brief_time=user.brief_time,
        digest_time=user.digest_time,
        company_brief_time=settings.morning_brief_time,
        company_digest_time=settings.digest_time,
        gets_brief=actor.role in BRIEF_ROLES,
        gets_digest=actor.role in DIGEST_ROLES,
        is_admin=actor.role == Role.ADMIN,
    )


def time_window(session: Session, actor: Actor, which: str, settings: Any) -> DayRange:
    """The window within which ``actor`` may choose their ``which`` ("brief"/"digest") time."""
    if actor.role not in PERSONAL.get(which, ()):
        raise NotFound()
    return effective(session, settings).window(which)


def set_personal_time(
    session: Session, actor: Actor, which: str, text: str, settings: Any, *, now: datetime
) -> str | None:
    """Save the person's own brief or digest time (``default``: the company's again); returns
    it (None: the company's). A time outside the admin's window is refused, naming it."""
    window = time_window(session, actor, which, settings)
    user = session.get(User, actor.user_id)
    if user is None or not user.is_active:
        raise NotFound()
    chosen: str | None = None
    if not is_default_word(text):
        moment = parse_clock(text)
        if moment is None:
            raise TimeInvalid(which=which, window=window.text, text=text[:60])
        if not window.contains(moment):
            raise TimeOutsideWindow(which=which, window=window.text, chosen=f"{moment:%H:%M}")
        chosen = f"{moment:%H:%M}"
    setattr(user, f"{which}_time", chosen)
    user.updated_at = now
    session.flush()
    return chosen
