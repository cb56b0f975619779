"""The people behind recent updates, kept in memory so the access gate does not read the
``user`` table on every update.

An entry is used only for the same Telegram profile (a new name or username goes through the
database, which records it) and for at most ``ACTOR_TTL``. Any write to ``user`` made through a
session on the same database, in this process, empties that database's cache at once; the
time limit bounds how long a change made by another process (a ``--worker`` marking a person
unreachable) can go unseen.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import ORMExecuteState, Session

from bot.services.people import Actor, Profile
from models import User

ACTOR_TTL = 30.0  # seconds


@dataclass(frozen=True)
class _Entry:
    actor: Actor
    profile: Profile
    until: float


class ActorCache:
    def __init__(self, ttl: float = ACTOR_TTL) -> None:
        self.ttl = ttl
        self._entries: dict[int, _Entry] = {}

    def get(self, profile: Profile) -> Actor | None:
        entry = self._entries.get(profile.telegram_id)
        if entry is None or entry.profile != profile or entry.until < time.monotonic():
            return None
        return entry.actor

    def put(self, profile: Profile, actor: Actor) -> None:
        self._entries[profile.telegram_id] = _Entry(actor, profile, time.monotonic() + self.ttl)

    def clear(self) -> None:
        self._entries.clear()


_caches: WeakKeyDictionary[Engine, ActorCache] = WeakKeyDictionary()


def actor_cache(engine: Engine) -> ActorCache:
    """The cache of the database behind ``engine``."""
    cache = _caches.get(engine)
    if cache is None:
        cache = _caches[engine] = ActorCache()
    return cache


def _forget(session: Session) -> None:
    bind: Any = session.get_bind()
    cache = _caches.get(getattr(bind, "engine", bind))
    if cache is not None:
        cache.clear()


@event.listens_for(Session, "after_flush")
def _users_flushed(session: Session, _context: object) -> None:
    if any(isinstance(row, User) for row in (*session.new, *session.dirty, *session.deleted)):
        _forget(session)


@event.listens_for(Session, "do_orm_execute")
def _users_updated(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete):
        return
    mapper = state.bind_mapper
    if mapper is not None and mapper.class_ is User:
        _forget(state.session)
