"""Many people at once (issue 15): 200 reps, each in their own chat, search, open a card, log a
visit in one line and save it, and look at their day, all interleaved. On SQLite and PostgreSQL
nobody sees an error (no "database is locked"), every visit is saved once, and each rep's answers
are their own."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import col, func, select

from bot.db import Database
from bot.emulator import BotAPIEmulator, SimUser
from bot.local import LocalBot
from models import Customer, Role, Touch, User

PEOPLE = 200


def _seed(db: Database) -> list[int]:
    ids = []
    with db.session() as session:
        for number in range(PEOPLE):
            rep = User(
                telegram_id=970000 + number,
                full_name=f"Rep {number}",
                timezone="UTC",
                role=Role.REP,
            )
            session.add(rep)
            session.flush()
            session.add(Customer(name=f"Zeta Works {number:03d}", owner_id=rep.id or 0))
            ids.append(rep.telegram_id)
    return ids


async def _day(bot: LocalBot, rep: SimUser, number: int) -> list[str]:
    name = f"Zeta Works {number:03d}"
    texts = [message.text for message in await bot.send(rep, name)]
    texts += [m.text for m in await bot.send(rep, f"/visit {name}: demo {number} went well")]
    await bot.press(rep, "✅ Save")
    texts.append(rep.last().text)
    texts += [message.text for message in await bot.send(rep, "/today")]
    return texts


@pytest.mark.timeout(240)
async def test_two_hundred_reps_at_once_all_get_their_own_answers(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    ids = _seed(db)
    reps = [emulator.user(telegram_id, f"Rep {n}") for n, telegram_id in enumerate(ids)]
    answers = await asyncio.gather(*(_day(bot, rep, n) for n, rep in enumerate(reps)))
    for number, texts in enumerate(answers):
        joined = "\n".join(texts)
        assert "something went wrong" not in joined.lower(), (number, joined)
        assert f"Zeta Works {number:03d}" in texts[0], (number, texts[0])
        assert any(text.startswith("✅ Saved") for text in texts), (number, joined)
    with db.session() as session:
        notes = sorted(session.exec(select(Touch.notes)).all())
        per_rep = session.exec(
            select(func.count()).select_from(Touch).group_by(col(Touch.author_id))
        ).all()
    assert len(notes) == PEOPLE and set(per_rep) == {1}
    assert notes == sorted(f"demo {n} went well" for n in range(PEOPLE))
