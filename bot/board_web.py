"""The pipeline board's pages on the bot's web server (a Telegram Mini App, opened by /board and
the managers' menu button): ``GET /board`` the page, its script and style, and the JSON API the
page calls, ``GET /board/api/deals`` and ``POST /board/api/deals/{id}/stage``.

Every API request carries Telegram's ``initData`` (``Authorization: tma <initData>``), checked by
``bot.services.webapp_auth``; without valid, fresh initData of an active person the answer is 401
and nothing else. What the board shows and how a deal moves is ``bot.services.board``; the texts
are ``bot/templates/<language>/board/page.html``. The page loads nothing from anywhere else."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.app import SalesbotApplication
from bot.formatting import format_day, format_money
from bot.rendering import Renderer
from bot.services import board, deals, history
from bot.services.access import may_open_board
from bot.services.errors import NotAllowed, NotFound, ServiceError
from bot.services.people import Actor
from bot.services.webapp_auth import InitDataRefused, active_person, check_init_data
from models import LostReason, Timeframe

logger = logging.getLogger("salesbot.board")

STATIC_DIR = Path(__file__).parent / "static"
STATIC_FILES = {
    "board.js": "text/javascript",
    "board.css": "text/css",
}
AUTH_SCHEME = "tma "
# The page and its script come from this server only; Telegram shows it in its own frame.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
# What a refused move answers: HTTP status and the page's text for it.
REFUSALS: dict[type[ServiceError], tuple[int, str]] = {
    NotFound: (404, "gone"),
    NotAllowed: (403, "not_allowed"),
    deals.LostReasonNeeded: (422, "reason_needed"),
    board.LostNoteNeeded: (422, "note_needed"),
    deals.AlreadyInStage: (409, "already"),
    deals.DealHasOrder: (409, "has_order"),
    deals.DealChanged: (409, "changed"),
    board.FilterInvalid: (400, "failed"),
}


def add_board_pages(server_app: web.Application, application: SalesbotApplication) -> None:
    """Register the board's routes on the web server's aiohttp application."""
    pages = BoardPages(application)
    server_app.router.add_get("/board", pages.page)
    server_app.router.add_get("/board/static/{name}", pages.static)
    server_app.router.add_get("/board/api/deals", pages.board_deals)
    server_app.router.add_post(r"/board/api/deals/{deal_id:\d{1,12}}/stage", pages.move)


@dataclass
class BoardPages:
    application: SalesbotApplication

    @property
    def renderer(self) -> Renderer:
        return self.application.deps.renderer

    # -- the page -----------------------------------------------------------------------------

    async def page(self, request: web.Request) -> web.Response:
        """The board's page in the language asked (``?lang=``), else the browser's; once the
        person is known the page switches to their language."""
        wanted = request.query.get("lang") or request.headers.get("Accept-Language") or ""
        language = self.renderer.language_for(wanted.split(",")[0].split(";")[0].strip())
        html = self.renderer.template(language, "board/page.html").render()
        return web.Response(
            text=html, content_type="text/html", charset="utf-8", headers=SECURITY_HEADERS
        )

    async def static(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in STATIC_FILES:
            raise web.HTTPNotFound()
        body = await asyncio.to_thread((STATIC_DIR / name).read_bytes)
        return web.Response(
            body=body,
            content_type=STATIC_FILES[name],
            charset="utf-8",
            headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"},
        )

    # -- who asks -----------------------------------------------------------------------------

    def _person(self, request: web.Request) -> Actor:
        """The active person whose initData the request carries, else InitDataRefused."""
        header = request.headers.get("Authorization", "")
        init_data = header[len(AUTH_SCHEME) :] if header.startswith(AUTH_SCHEME) else ""
        deps = self.application.deps
        user = check_init_data(init_data, bot_token=self.application.bot.token, now=deps.now())
        with deps.db.session() as session:
            return active_person(session, user.telegram_id)

    async def _actor(self, request: web.Request) -> Actor:
        try:
            actor = await asyncio.to_thread(self._person, request)
        except InitDataRefused as refused:
            logger.info("board request refused: %s initData", refused.reason)
            raise web.HTTPUnauthorized(
                text='{"error": "unauthorized"}', content_type="application/json"
            ) from None
        if not may_open_board(actor.role):
            raise web.HTTPForbidden(
                text='{"error": "not_allowed"}', content_type="application/json"
            )
        return actor

    # -- the API ------------------------------------------------------------------------------

    async def board_deals(self, request: web.Request) -> web.Response:
        actor = await self._actor(request)
        query = request.query
        try:
            filters = board.BoardFilters.parse(
                query.get("rep"), query.get("timeframe"), query.get("month")
            )
        except board.FilterInvalid:
            return _refusal(board.FilterInvalid())
        body = await asyncio.to_thread(self._board_json, actor, filters)
        return web.json_response(body, headers={"Cache-Control": "no-store"})

    def _board_json(self, actor: Actor, filters: board.BoardFilters) -> dict[str, Any]:
        deps = self.application.deps
        with deps.db.session() as session:
            found = board.board(session, actor, filters, now=deps.now())
        return BoardJson(self.renderer, actor.language).board(found)

    async def move(self, request: web.Request) -> web.Response:
        actor = await self._actor(request)
        deal_id = int(request.match_info["deal_id"])
        try:
            payload = await request.json()
        except ValueError:
            payload = None
        if not isinstance(payload, dict) or not isinstance(payload.get("stage"), str):
            return _refusal(board.FilterInvalid())
        try:
            view = await asyncio.to_thread(
                self._move,
                actor,
                deal_id,
                payload["stage"],
                _text(payload.get("reason")),
                _text(payload.get("note")),
                _text(payload.get("seen")),
            )
        except ServiceError as error:
            return _refusal(error)
        return web.json_response({"deal_id": view.deal_id, "stage": view.stage_key})

    def _move(
        self,
        actor: Actor,
        deal_id: int,
        stage: str,
        reason: str | None,
        note: str | None,
        seen: str | None,
    ) -> deals.DealView:
        deps = self.application.deps
        with deps.db.session() as session:
            history.acting(session, actor.user_id)
            return board.move(
                session,
                actor,
                deal_id,
                stage,
                reason=reason,
                note=note,
                seen=seen,
                now=deps.now(),
            )


def _text(value: object) -> str | None:
    return value[:1000] if isinstance(value, str) else None


def _refusal(error: ServiceError) -> web.Response:
    status, text = next(
        (answer for kind, answer in REFUSALS.items() if isinstance(error, kind)), (400, "failed")
    )
    return web.json_response({"error": text}, status=status)


@dataclass
class BoardJson:
    """The board as the page reads it: names and amounts written for the person's language,
    amounts also as plain decimal strings."""

    renderer: Renderer
    language: str

    def _label(self, name: str, key: str) -> str:
        return self.renderer.label(self.language, name, key)

    def _money(self, sums: dict[str, Decimal]) -> list[dict[str, str]]:
        return [
            {
                "currency": currency,
                "amount": str(amount),
                "text": format_money(amount, currency, self.language),
            }
            for currency, amount in sorted(sums.items())
        ]

    def _day(self, day: date | None) -> str | None:
        return format_day(day, "date", self.language) if day else None

    def _card(self, card: board.BoardCard) -> dict[str, Any]:
        return {
            "id": card.deal_id,
            "title": card.title,
            "customer": card.customer_name,
            "owner": card.owner_name,
            "amount": str(card.amount),
            "currency": card.currency,
            "amount_text": format_money(card.amount, card.currency, self.language),
            "probability": card.probability,
            "weighted_text": format_money(card.weighted, card.currency, self.language),
            "close": card.expected_close.isoformat() if card.expected_close else None,
            "close_text": self._day(card.expected_close),
            "timeframe_text": self._label("timeframe", card.timeframe) if card.timeframe else None,
            "lost_text": self._label("lost_reason", card.lost_reason).rstrip("…")
            if card.lost_reason
            else None,
            "lost_note": card.lost_note,
            "seen": card.seen,
        }

    def board(self, found: board.Board) -> dict[str, Any]:
        return {
            "language": self.language,
            "may_move": found.may_move,
            "columns": [
                {
                    "key": column.stage_key,
                    "name": self._label("stage", column.stage_key),
                    "is_open": column.is_open,
                    "is_lost": column.is_lost,
                    "count": column.count,
                    "totals": self._money(column.totals),
                    "weighted": self._money(column.weighted),
                    "cards": [self._card(card) for card in column.cards],
                }
                for column in found.columns
            ],
            "reps": [{"id": rep.user_id, "name": rep.name} for rep in found.reps],
            "timeframes": [
                {"key": item.value, "name": self._label("timeframe", item.value)}
                for item in Timeframe
            ],
            "lost_reasons": [
                {"key": item.value, "name": self._label("lost_reason", item.value).rstrip("…")}
                for item in LostReason
            ],
        }
