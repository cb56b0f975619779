"""Texts customers get from the bot on its own that an admin may rewrite (``/templates``): the
birthday greeting and the check-in after delivery, in each language. A text is tried on a sample
contact before it is kept: one with an error (its syntax, a value it may not use, anything the
sandbox refuses, HTML Telegram would refuse, nothing left, or too long) is refused with the
error. When sending, an admin's text is rendered in the same sandbox; should that ever fail, the
built-in text goes instead, so a contact never gets nothing."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from jinja2 import TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError
from sqlmodel import Session, col, select

from bot.rendering import (
    MESSAGE_LIMIT,
    TEMPLATES_DIR,
    sandbox,
    telegram_html_problem,
    visible_length,
)
from bot.services.errors import NotAllowed, NotFound, ServiceError
from bot.services.people import Actor
from models import MessageTemplate, Role

logger = logging.getLogger(__name__)

# The editable texts: short name → template (``bot/templates/<language>/<template>.html``).
EDITABLE = {"birthday": "care/birthday", "checkin": "care/checkin"}
LANGUAGES = ("en", "zh")
SOURCE_LIMIT = 3000


class TemplateInvalid(ServiceError):
    """``reason``: ``syntax`` (with ``line``), ``value``, ``unsafe``, ``html``, ``empty``,
    ``too_long`` or ``error``; ``detail`` says what."""

    template = "templates/invalid"


@dataclass(frozen=True)
class TemplateText:
    name: str
    language: str
    source: str
    edited: bool


def _refuse_unless_admin(actor: Actor) -> None:
    if actor.role != Role.ADMIN:
        raise NotAllowed()


def _path(name: str, language: str) -> str:
    if name not in EDITABLE or language not in LANGUAGES:
        raise NotFound()
    return EDITABLE[name]


def built_in(name: str, language: str) -> str:
    return (TEMPLATES_DIR / language / f"{_path(name, language)}.html").read_text()


def _row(session: Session, name: str, language: str) -> MessageTemplate | None:
    return session.exec(
        select(MessageTemplate).where(
            col(MessageTemplate.name) == _path(name, language),
            col(MessageTemplate.language) == language,
        )
    ).first()


def overview(session: Session, actor: Actor) -> list[TemplateText]:
    _refuse_unless_admin(actor)
    return [text(session, actor, name, language) for name in EDITABLE for language in LANGUAGES]


def text(session: Session, actor: Actor, name: str, language: str) -> TemplateText:
    _refuse_unless_admin(actor)
    row = _row(session, name, language)
    if row is None:
        return TemplateText(name, language, built_in(name, language), edited=False)
    return TemplateText(name, language, row.body, edited=True)


def sample_values(name: str) -> dict[str, Any]:
    """The made-up contact (and order) a text is tried on."""
    values: dict[str, Any] = {
        "contact": SimpleNamespace(name="Li Na", language="en"),
        "customer": SimpleNamespace(name="Acme Machinery"),
        "rep_name": "Tom Chen",
        "timezone": "Asia/Shanghai",
    }
    if name == "checkin":
        values["order"] = SimpleNamespace(
            number="O-2026-00042",
            total=Decimal("12000.00"),
            currency="CNY",
            delivered_at=datetime(2026, 11, 14, 2, 0, tzinfo=UTC),
        )
        values["purchase"] = "20 CNC lathes"
    return values


def render_source(source: str, language: str, values: dict[str, Any]) -> str:
    """``source`` rendered in the sandbox with ``values``; TemplateInvalid saying why not."""
    try:
        rendered = sandbox(language).from_string(source).render(**values).strip()
    except TemplateSyntaxError as error:
        raise TemplateInvalid(reason="syntax", line=error.lineno, detail=error.message) from None
    except UndefinedError as error:
        raise TemplateInvalid(reason="value", detail=str(error)) from None
    except SecurityError as error:
        raise TemplateInvalid(reason="unsafe", detail=str(error)) from None
    except (TemplateError, ArithmeticError, TypeError, ValueError) as error:
        raise TemplateInvalid(reason="error", detail=str(error)) from None
    if not rendered:
        raise TemplateInvalid(reason="empty", detail="")
    problem = telegram_html_problem(rendered)
    if problem is not None:
        raise TemplateInvalid(reason="html", detail=problem)
    if visible_length(rendered) > MESSAGE_LIMIT:
        raise TemplateInvalid(reason="too_long", detail=str(MESSAGE_LIMIT))
    return rendered


def preview(actor: Actor, name: str, language: str, source: str) -> str:
    """The text as the sample contact would read it, or TemplateInvalid."""
    _refuse_unless_admin(actor)
    _path(name, language)
    if len(source) > SOURCE_LIMIT:
        raise TemplateInvalid(reason="too_long", detail=str(SOURCE_LIMIT))
    return render_source(source, language, sample_values(name))


def save(
    session: Session, actor: Actor, name: str, language: str, source: str, *, now: datetime
) -> None:
    """Keep ``source`` as the text once it proved itself on the sample (checked again here)."""
    preview(actor, name, language, source)
    row = _row(session, name, language)
    if row is None:
        row = MessageTemplate(name=_path(name, language), language=language, body=source)
        session.add(row)
    row.body, row.updated_at, row.updated_by_id = source, now, actor.user_id
    session.flush()


def restore(session: Session, actor: Actor, name: str, language: str) -> None:
    """Back to the built-in text."""
    _refuse_unless_admin(actor)
    row = _row(session, name, language)
    if row is not None:
        session.delete(row)
        session.flush()


def saved_text(
    session: Session, template: str, language: str, values: dict[str, Any]
) -> str | None:
    """For sending: template ``template`` as an admin rewrote it for ``language``, rendered
    with ``values``; None when there is no such text, or it fails now (the built-in goes)."""
    if template not in EDITABLE.values():
        return None
    row = session.exec(
        select(MessageTemplate).where(
            col(MessageTemplate.name) == template, col(MessageTemplate.language) == language
        )
    ).first()
    if row is None:
        return None
    try:
        return render_source(row.body, language, values)
    except TemplateInvalid as invalid:
        logger.warning("template %s (%s) failed, built-in sent: %s", template, language, invalid)
        return None
