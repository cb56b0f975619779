"""Conversation state and what a person has typed so far, kept in the bot's own database.

python-telegram-bot reads it once at start-up and writes it after every update (see
``SalesbotApplication.process_update``), so a restart or a crash loses at most the step being
handled. That is right for one active process per bot token, which is the design. Only
JSON-serialisable values may be kept in ``user_data``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from sqlmodel import select
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

    async def get_user_data(self) -> dict[int, UserData]:
        result: dict[int, UserData] = defaultdict(dict)
        with self.db.session() as session:
            for row in session.exec(select(ScratchData)):
                result[row.user_telegram_id] = json.loads(row.data)
        return result

    async def update_user_data(self, user_id: int, data: UserData) -> None:
        encoded = json.dumps(data, ensure_ascii=False, sort_keys=True)
        with self.db.session() as session:
            row = session.get(ScratchData, user_id)
            if not data:
                if row is not None:
                    session.delete(row)
                return
            if row is None:
                session.add(ScratchData(user_telegram_id=user_id, data=encoded))
            elif row.data != encoded:
                row.data, row.updated_at = encoded, utcnow()

    async def drop_user_data(self, user_id: int) -> None:
        with self.db.session() as session:
            row = session.get(ScratchData, user_id)
            if row is not None:
                session.delete(row)

    async def refresh_user_data(self, user_id: int, user_data: UserData) -> None:
        """Nothing to do: this process is the only writer."""

    async def get_conversations(self, name: str) -> ConversationDict:
        with self.db.session() as session:
            rows = session.exec(select(ConversationState).where(ConversationState.name == name))
            return {tuple(json.loads(row.key)): json.loads(row.state) for row in rows}

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        encoded_key = json.dumps(list(key))
        with self.db.session() as session:
            row = session.get(ConversationState, (name, encoded_key))
            if new_state is None:
                if row is not None:
                    session.delete(row)
                return
            encoded = json.dumps(new_state)
            if row is None:
                session.add(ConversationState(name=name, key=encoded_key, state=encoded))
            else:
                row.state, row.updated_at = encoded, utcnow()

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
