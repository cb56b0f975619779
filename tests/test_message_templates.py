"""End to end: an admin rewrites the birthday greeting in /templates (issue 14). A broken text is
shown with its error and not saved; a good one is previewed on a sample contact, saved, and is
what a real contact gets on their birthday; *↩️ Restore built-in* goes back; each language has
its own; nobody else may."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import func, select

from bot.db import Database
from bot.emulator import BotAPIEmulator
from bot.local import LocalBot
from models import ChangeEntry, MessageTemplate
from tests.conftest import FakeClock
from tests.flows import add_customer, link_contact, sales_team, texts
from tests.test_care import greetings, tick_at

BROKEN = {
    "Happy birthday {{ contact.name ": "❌ Not saved: a mistake in the template on line 1",
    "Happy birthday {{ nosuch }}!": "❌ Not saved: it uses a value there is none of",
    "<blink>Happy birthday</blink>": "❌ Not saved: Telegram would refuse it: <blink>",
    "{{ ''.__class__.__mro__ }}": "❌ Not saved: it reaches for something a text may not use",
    "{# nothing but a note #}": "❌ Not saved: nothing would be left to send",
    "<b>Happy birthday": "❌ Not saved: Telegram would refuse it: <b> is never closed",
}
GOOD = "🎉 Happy birthday, <b>{{ contact.name }}</b>! All the best from {{ rep_name }}."


def _saved(db: Database) -> int:
    with db.session() as session:
        return session.exec(select(func.count()).select_from(MessageTemplate)).one()


async def test_a_broken_text_is_refused_and_a_good_one_is_what_contacts_get(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    admin = team.admin
    listing = (await bot.send(admin, "/templates"))[-1]
    assert listing.button_texts() == [
        "🎂 Birthday greeting · English",
        "🎂 Birthday greeting · 中文",
        "📦 Check-in · English",
        "📦 Check-in · 中文",
    ]
    await bot.press(admin, "🎂 Birthday greeting · English")
    card = admin.last()
    assert "built-in" in card.text and "Happy birthday, {{ contact.name }}!" in card.text
    assert card.button_texts() == ["✏️ Edit", "◀ Texts"]
    await bot.press(admin, "✏️ Edit")
    assert admin.last().text.startswith("Send the new birthday greeting in English")

    for source, refusal in BROKEN.items():
        answer = texts(await bot.send(admin, source))
        assert answer.startswith(refusal), (source, answer)
        assert "Send the text again, fixed, or /cancel." in answer
    await bot.settle(await admin.send_photo(b"\x89PNG not text"))
    assert _saved(db) == 0

    intro, preview = await bot.send(admin, GOOD)
    assert intro.text.startswith("Here it is as Li Na of Acme Machinery would read it")
    assert preview.text == "🎉 Happy birthday, Li Na! All the best from Tom Chen."
    assert preview.html == "🎉 Happy birthday, <b>Li Na</b>! All the best from Tom Chen."
    assert _saved(db) == 0
    await bot.press(admin, "✅ Save", preview)
    assert admin.last().text.startswith("✅ Saved: contacts who read English get your birthday")
    with db.session() as session:
        [row] = session.exec(select(MessageTemplate)).all()
        history = session.exec(
            select(ChangeEntry).where(ChangeEntry.record_kind == "template")
        ).all()
    assert (row.name, row.language, row.body) == ("care/birthday", "en", GOOD)
    assert history and all(entry.changed_by_id is not None for entry in history)

    # A real contact on their birthday gets the admin's words, with their own name.
    add_customer(db, team.tom, "Orbit Pumps", contact="Wang Fang", birthday=(11, 27))
    fang = await link_contact(bot, emulator, team.tom, "orbit", "Orbit Pumps", "Wang Fang", 7002)
    await tick_at(bot, clock, datetime(2026, 11, 27, 1, 0, tzinfo=UTC))
    assert [m.text for m in fang.messages if "birthday" in m.text.lower()] == [
        "🎉 Happy birthday, Wang Fang! All the best from Tom."
    ]
    assert greetings(fang) == []  # not the built-in words

    # Restore the built-in text.
    await bot.send(admin, "/templates")
    await bot.press(admin, "🎂 Birthday greeting · English ✏️")
    assert admin.last().button_texts() == ["✏️ Edit", "↩️ Restore built-in", "◀ Texts"]
    await bot.press(admin, "↩️ Restore built-in")
    assert admin.last().text.startswith("↩️ Back to the built-in text.")
    assert _saved(db) == 0


async def test_each_language_has_its_own_text_and_only_admins_edit(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await sales_team(bot, emulator)
    await bot.send(team.admin, "/templates")
    await bot.press(team.admin, "🎂 Birthday greeting · 中文")
    await bot.press(team.admin, "✏️ Edit")
    _, preview = await bot.send(team.admin, "🎂 {{ contact.name }}，生日快乐！{{ rep_name }} 敬上")
    assert preview.text == "🎂 Li Na，生日快乐！Tom Chen 敬上"
    await bot.press(team.admin, "✖ Cancel", preview)
    assert team.admin.last().text == "Not saved: the text stays as it was."
    assert _saved(db) == 0
    await bot.send(team.admin, "/templates")
    await bot.press(team.admin, "🎂 Birthday greeting · 中文")
    await bot.press(team.admin, "✏️ Edit")
    _, preview = await bot.send(team.admin, "🎂 {{ contact.name }}，生日快乐！")
    await bot.press(team.admin, "✅ Save", preview)
    with db.session() as session:
        assert [(r.language, r.name) for r in session.exec(select(MessageTemplate))] == [
            ("zh", "care/birthday")
        ]

    for person in (team.tom, team.manager):
        assert texts(await bot.send(person, "/templates")) == "You can't do that with your role."
        await bot.settle(await person.press_data("tpl:e:birthday:en"))
        assert person.callback_answers[-1]["text"] == "You can't do that with your role."
    await bot.settle(await team.admin.press_data("tpl:o:nosuch:en"))
    assert team.admin.callback_answers[-1]["text"] == "Not found."
