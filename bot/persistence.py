"""Conversation state and what a person has typed so far, kept in the bot's own database.

python-telegram-bot reads it once at start-up and hands it back after every update (see
``SalesbotApplication.process_update``), so a restart or a crash loses at most the step being
handled. What it hands back unchanged is not written again: this process keeps what it last read
or wrote, which is right for one active process per bot token, the design. Only
JSON-serialisable values may be kept in ``user_data``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from sqlmodel import Session, select
from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import CDCData, ConversationDict, ConversationKey

from bot.db import Database
from models import ConversationState, ScratchData, utcnow

UserData = dict[Any, Any]


class DatabasePersistence(BasePersistence[UserData, dict[Any, Any], dict[Any, Any]]):
    def __init__(self, db: Database) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False, chat_data=False, user_data=True, callback_data=False
            ),
            update_interval=60,
        )
        self.db = db
        # What the database holds, as this process last read or wrote it (encoded JSON).
        self._user_data: dict[int, str] = {}
        self._states: dict[tuple[str, str], str] = {}

    async def get_user_data(self) -> dict[int, UserData]:
        result: dict[int, UserData] = defaultdict(dict)
        with self.db.session() as session:
            for row in session.exec(select(ScratchData)):
                result[row.user_telegram_id] = json.loads(row.data)
                self._user_data[row.user_telegram_id] = row.data
        return result

    async def update_user_data(self, user_id: int, data: UserData) -> None:
        encoded = json.dumps(data, ensure_ascii=False, sort_keys=True) if data else None
        if self._user_data.get(user_id) == encoded:
            return  # nothing changed since it was read or written
        with self.db.session() as session:
            row = session.get(ScratchData, user_id)
            if encoded is None:
                if row is not None:
                    session.delete(row)
            elif row is None:
                session.add(ScratchData(user_telegram_id=user_id, data=encoded))
            else:
                row.data, row.updated_at = encoded, utcnow()
        # Only once it is committed: a failed write is tried again after the next update.
        if encoded is None:
            self._user_data.pop(user_id, None)
        else:
            self._user_data[user_id] = encoded

    async def drop_user_data(self, user_id: int) -> None:
        self._user_data.pop(user_id, None)
        with self.db.session() as session:
            row = session.get(ScratchData, user_id)
            if row is not None:
                session.delete(row)

    async def refresh_user_data(self, user_id: int, user_data: UserData) -> None:
        """Nothing to do: this process is the only writer."""

    async def get_conversations(self, name: str) -> ConversationDict:
        with self.db.session() as session:
            rows = session.exec(select(ConversationState).where(ConversationState.name == name))
            result = {}
            for row in rows:
                result[tuple(json.loads(row.key))] = json.loads(row.state)
                self._states[(name, row.key)] = row.state
            return result

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        encoded_key = json.dumps(list(key))
        encoded = None if new_state is None else json.dumps(new_state)
        if self._states.get((name, encoded_key)) == encoded:
            return  # nothing changed since it was read or written
        with self.db.session() as session:
            row = session.get(ConversationState, (name, encoded_key))
            if encoded is None:
                if row is not None:
                    session.delete(row)
            elif row is None:
                session.add(ConversationState(name=name, key=encoded_key, state=encoded))
            else:
                row.state, row.updated_at = encoded, utcnow()
        if encoded is None:
            self._states.pop((name, encoded_key), None)
        else:
            self._states[(name, encoded_key)] = encoded

    def end_in(
        self, session: Session, name: str, key: ConversationKey, user_id: int, data: UserData
    ) -> None:
        """End conversation ``name`` for ``key`` and leave the person ``data`` as their scratch
        values, in ``session``: the caller's transaction, which writes the record the flow was
        for. What python-telegram-bot writes after the update then finds nothing to change."""
        encoded_key = json.dumps(list(key))
        row = session.get(ConversationState, (name, encoded_key))
        if row is not None:
            session.delete(row)
        encoded = json.dumps(data, ensure_ascii=False, sort_keys=True) if data else None
        scratch = session.get(ScratchData, user_id)
        if encoded is None:
            if scratch is not None:
                session.delete(scratch)
        elif scratch is None:
            session.add(ScratchData(user_telegram_id=user_id, data=encoded))
        else:
            scratch.data, scratch.updated_at = encoded, utcnow()
        # Should the transaction fail, the update's own write afterwards puts back what is
        # right: the state and values it then hands over differ from these.
        self._states.pop((name, encoded_key), None)
        if encoded is None:
            self._user_data.pop(user_id, None)
        else:
            self._user_data[user_id] = encoded

    async def flush(self) -> None:
        """Every write is committed at once; nothing is buffered."""

    # Chat data, bot data and callback data are not kept.
    async def get_chat_data(self) -> dict[int, dict[Any, Any]]:
        return {}

    async def get_bot_data(self) -> dict[Any, Any]:
        return {}

    async def get_callback_data(self) -> CDCData | None:
        return None

    async def update_chat_data(self, chat_id: int, data: dict[Any, Any]) -> None:
        return None

    async def update_bot_data(self, data: dict[Any, Any]) -> None:
        return None

    async def update_callback_data(self, data: CDCData) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[Any, Any]) -> None:
        return None

    async def refresh_bot_data(self, bot_data: dict[Any, Any]) -> None:
        return None
