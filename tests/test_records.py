"""End to end: a customer's and its contacts' facts are edited from the card (✏️ Edit), contacts
are added, a linked contact gives their own birthday with /birthday; every change is on the
timeline with who, when and old → new; nonsense is re-asked; only people who may see the card
may change it; a birthday without a year (29 February too) shows in /today."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import col, select

from bot.db import Database
from bot.emulator import BotAPIEmulator
from bot.local import LocalBot
from models import ChangeEntry, Contact, Customer
from tests.conftest import FakeClock
from tests.flows import add_customer, link_contact, sales_team, texts


def customer(db: Database, customer_id: int) -> Customer:
    with db.session() as session:
        found = session.get(Customer, customer_id)
        assert found is not None
        return found


def contact_named(db: Database, name: str) -> Contact:
    with db.session() as session:
        return session.exec(select(Contact).where(Contact.name == name)).one()


def changes(db: Database) -> list[ChangeEntry]:
    """The edits of customers' and contacts' facts in the change history, oldest first."""
    with db.session() as session:
        return list(
            session.exec(
                select(ChangeEntry)
                .where(
                    ChangeEntry.action == "update",
                    col(ChangeEntry.record_kind).in_(("customer", "contact")),
                )
                .order_by(col(ChangeEntry.id))
            )
        )


async def test_the_rep_edits_a_customers_facts_from_the_card(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    acme = add_customer(db, team.tom, "Acme Machinery", phone="+86 21 5555 0101", contact="Li Na")
    await bot.send(team.tom, "acme")
    await bot.press(team.tom, "Acme Machinery")
    assert "✏️ Edit" in team.tom.last().button_texts()
    await bot.press(team.tom, "✏️ Edit")
    menu = team.tom.last()
    assert "Acme Machinery: what do you want to change?" in menu.text
    assert "Phone: +86 21 5555 0101" in menu.text and "Tier: —" in menu.text
    assert menu.button_texts() == [
        "Name",
        "☎️ Phone",
        "📍 Address",
        "Industry",
        "Tier",
        "Buying when",
        "✏️ Li Na",
        "➕ Add contact",
        "◀ Customer",
    ]

    # Phone: nonsense is re-asked and changes nothing.
    await bot.press(team.tom, "☎️ Phone")
    assert "Phone: now +86 21 5555 0101" in team.tom.last().text
    for nonsense in ("call me maybe", "12", "x" * 50):
        answer = texts(await bot.send(team.tom, nonsense))
        assert "doesn't look like a phone number" in answer, nonsense
    assert customer(db, acme).phone == "+86 21 5555 0101" and changes(db) == []
    saved = await bot.send(team.tom, "+86 21 5555 0199")
    assert "✅ Acme Machinery · Phone: +86 21 5555 0101 → +86 21 5555 0199" in saved[0].text
    assert saved[-1].text.startswith("Acme Machinery")  # the card again
    assert customer(db, acme).phone == "+86 21 5555 0199"

    # Tier and purchase timeframe by button; text where a button is expected is re-asked.
    await bot.press(team.tom, "✏️ Edit")
    await bot.press(team.tom, "Tier")
    assert team.tom.last().button_texts() == ["Tier A", "Tier B", "Tier C", "✖ Leave it empty"]
    assert "choose with the buttons" in texts(await bot.send(team.tom, "A"))
    assert customer(db, acme).tier is None
    await bot.press(team.tom, "Tier A")
    assert "Tier: — → A" in texts(team.tom.messages[-2:])
    await bot.press(team.tom, "✏️ Edit")
    await bot.press(team.tom, "Buying when")
    await bot.press(team.tom, "Within 3 months")
    assert customer(db, acme).timeframe == "3m"
    assert "tier A" in team.tom.last().text and "within 3 months" in team.tom.last().text

    # Name: it cannot be emptied; address and industry take text; /cancel keeps the old value.
    await bot.press(team.tom, "✏️ Edit")
    await bot.press(team.tom, "Name")
    assert "✖ Leave it empty" not in team.tom.last().button_texts()
    assert "can't be a name" in texts(await bot.send(team.tom, "-"))
    await bot.send(team.tom, "Acme Machinery (Shanghai) Co.")
    assert customer(db, acme).name == "Acme Machinery (Shanghai) Co."
    await bot.press(team.tom, "✏️ Edit")
    await bot.press(team.tom, "Industry")
    await bot.send(team.tom, "/cancel")
    assert customer(db, acme).industry is None
    await bot.send(team.tom, "acme")
    await bot.press(team.tom, "Acme Machinery (Shanghai) Co.")
    await bot.press(team.tom, "✏️ Edit")
    await bot.press(team.tom, "📍 Address")
    await bot.send(team.tom, "88 Century Ave, Pudong")
    assert customer(db, acme).address == "88 Century Ave, Pudong"

    # Every change on the timeline, with who and old → new, newest first.
    await bot.send(team.manager, "acme")
    await bot.press(team.manager, "Acme Machinery (Shanghai) Co.")
    await bot.press(team.manager, "🕘 Timeline")
    timeline = team.manager.last().text
    assert "· Tom\n✏️ Address: — → 88 Century Ave, Pudong" in timeline
    assert "✏️ Name: Acme Machinery → Acme Machinery (Shanghai) Co." in timeline
    assert "✏️ Buying when: — → within 3 months" in timeline
    assert "✏️ Tier: — → A" in timeline
    assert "✏️ Phone: +86 21 5555 0101 → +86 21 5555 0199" in timeline
    recorded = changes(db)
    assert [(c.field, c.old_value, c.new_value) for c in recorded] == [
        ("phone", "+86 21 5555 0101", "+86 21 5555 0199"),
        ("tier", None, "A"),
        ("manual_tier", None, "A"),
        ("timeframe", None, "3m"),
        ("name", "Acme Machinery", "Acme Machinery (Shanghai) Co."),
        ("address", None, "88 Century Ave, Pudong"),
    ]
    assert {c.changed_by_id for c in recorded} == {recorded[0].changed_by_id}


async def test_contacts_are_edited_and_added_with_birthdays_as_people_type_them(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await sales_team(bot, emulator)
    add_customer(db, team.tom, "Acme Machinery", contact="Li Na")
    await bot.send(team.tom, "acme")
    await bot.press(team.tom, "Acme Machinery")
    await bot.press(team.tom, "✏️ Edit")
    await bot.press(team.tom, "✏️ Li Na")
    assert "Li Na at Acme Machinery" in team.tom.last().text
    assert team.tom.last().button_texts() == [
        "Name",
        "Role",
        "☎️ Phone",
        "🎂 Birthday",
        "🌐 Language",
        "🕘 Time zone",
        "◀ Customer",
        "📜 History",
    ]
    await bot.press(team.tom, "🎂 Birthday")
    for nonsense in ("soon", "31 Feb", "2099-05-12", "13/13", "1985-02-29"):
        answer = texts(await bot.send(team.tom, nonsense))
        assert "couldn't read that as a birthday" in answer, nonsense
    assert contact_named(db, "Li Na").birth_month is None
    assert "Birthday: — → 12 May" in texts(await bot.send(team.tom, "5月12日"))
    li_na = contact_named(db, "Li Na")
    assert (li_na.birth_year, li_na.birth_month, li_na.birth_day) == (None, 5, 12)
    assert "🎂 12 May" in team.tom.last().text  # on the card

    for typed, expected in (("1985-05-12", (1985, 5, 12)), ("12 May", (None, 5, 12))):
        await bot.press(team.tom, "✏️ Edit")
        await bot.press(team.tom, "✏️ Li Na")
        await bot.press(team.tom, "🎂 Birthday")
        await bot.send(team.tom, typed)
        li_na = contact_named(db, "Li Na")
        assert (li_na.birth_year, li_na.birth_month, li_na.birth_day) == expected, typed

    await bot.press(team.tom, "✏️ Edit")
    await bot.press(team.tom, "✏️ Li Na")
    await bot.press(team.tom, "🌐 Language")
    await bot.press(team.tom, "中文")
    await bot.press(team.tom, "✏️ Edit")
    await bot.press(team.tom, "✏️ Li Na")
    await bot.press(team.tom, "🕘 Time zone")
    assert "don't know that place" in texts(await bot.send(team.tom, "Atlantis"))
    await bot.send(team.tom, "Berlin")
    await bot.press(team.tom, "✏️ Edit")
    await bot.press(team.tom, "✏️ Li Na")
    await bot.press(team.tom, "Role")
    await bot.send(team.tom, "Purchasing manager")
    li_na = contact_named(db, "Li Na")
    assert (li_na.language, li_na.timezone, li_na.title) == (
        "zh",
        "Europe/Berlin",
        "Purchasing manager",
    )

    # ➕ Add contact: name (required), role, phone, birthday — each re-asked on nonsense.
    await bot.press(team.tom, "✏️ Edit")
    await bot.press(team.tom, "➕ Add contact")
    assert "New contact at Acme Machinery. What is their name?" in team.tom.last().text
    assert "can't be a name" in texts(await bot.send(team.tom, "x" * 201))
    await bot.send(team.tom, "Wang Wei")
    await bot.press(team.tom, "Skip")  # role
    assert "doesn't look like a phone number" in texts(await bot.send(team.tom, "ring him"))
    await bot.send(team.tom, "+86 139 0000 0202")
    assert "couldn't read that as a birthday" in texts(await bot.send(team.tom, "in spring"))
    with db.session() as session:
        assert session.exec(select(Contact).where(Contact.name == "Wang Wei")).first() is None
    added = await bot.send(team.tom, "29 Feb")
    assert "✅ Wang Wei added as a contact of Acme Machinery." in added[0].text
    assert "Wang Wei · +86 139 0000 0202 · 🎂 29 Feb" in added[-1].text
    wang = contact_named(db, "Wang Wei")
    assert (wang.title, wang.phone, wang.birth_month, wang.birth_day) == (
        None,
        "+86 139 0000 0202",
        2,
        29,
    )

    await bot.press(team.tom, "🕘 Timeline")
    timeline = team.tom.last().text
    assert "👤 New contact: Wang Wei" in timeline
    assert "✏️ Li Na · Role: — → Purchasing manager" in timeline
    assert "✏️ Li Na · Time zone: — → Europe/Berlin" in timeline
    assert "✏️ Li Na · Language: — → 中文" in timeline
    assert "✏️ Li Na · Birthday: 12 May 1985 → 12 May" in timeline
    await bot.press(team.tom, "Older ▶")
    older = team.tom.last().text
    assert "✏️ Li Na · Birthday: 12 May → 12 May 1985" in older
    assert "✏️ Li Na · Birthday: — → 12 May" in older


async def test_only_people_who_may_see_the_card_may_change_it(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await sales_team(bot, emulator)
    acme = add_customer(db, team.tom, "Acme Machinery", phone="+86 21 5555 0101", contact="Li Na")
    li_na = contact_named(db, "Li Na").id
    # Ken (another team) forges every button; each is "Not found." and nothing changes.
    for data in (
        f"ed:cus:{acme}",
        f"ed:f:{acme}:phone",
        f"ed:ct:{li_na}",
        f"ed:cf:{li_na}:birthday",
        f"ed:add:{acme}",
        f"ed:f:{acme}:owner_id",
        "ed:f:99999:phone",
    ):
        await bot.settle(await team.ken.press_data(data))
        assert team.ken.callback_answers[-1]["text"] == "Not found.", data
    answer = texts(await bot.send(team.ken, "+1 555 0100"))
    assert "Acme" not in answer
    assert customer(db, acme).phone == "+86 21 5555 0101" and changes(db) == []

    # Their manager may; Sara (same team, not her customer) may not.
    await bot.settle(await team.sara.press_data(f"ed:f:{acme}:phone"))
    assert team.sara.callback_answers[-1]["text"] == "Not found."
    await bot.settle(await team.manager.press_data(f"ed:f:{acme}:industry"))
    await bot.send(team.manager, "Machine tools")
    assert customer(db, acme).industry == "Machine tools"
    assert changes(db)[0].field == "industry"


async def test_a_linked_contact_gives_their_own_birthday_once_invited(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await sales_team(bot, emulator)
    add_customer(db, team.tom, "Acme Machinery", contact="Li Na")
    li_na = await link_contact(bot, emulator, team.tom, "acme", "Acme Machinery", "Li Na", 7001)
    thanks = li_na.last().text
    assert "tell us your birthday with /birthday" in thanks and "We won't ask again" in thanks

    assert "When is your birthday?" in texts(await bot.send(li_na, "/birthday"))
    for nonsense in ("not telling", "0 May", "May 32"):
        assert "couldn't read that as a birthday" in texts(await bot.send(li_na, nonsense))
    assert contact_named(db, "Li Na").birth_month is None
    assert "we have your birthday as 12 May" in texts(await bot.send(li_na, "5月12日"))
    assert (contact_named(db, "Li Na").birth_month, contact_named(db, "Li Na").birth_day) == (5, 12)
    # After that, text is a question for the rep again, not a birthday.
    assert texts(await bot.send(li_na, "Thanks!")) == "Sent to Tom; the answer will come here."
    # In one go, and /cancel leaves it as it is.
    assert "as 3 Jun 1990" in texts(await bot.send(li_na, "/birthday 1990-06-03"))
    await bot.send(li_na, "/birthday")
    assert texts(await bot.send(li_na, "/cancel")).startswith("Cancelled")
    assert contact_named(db, "Li Na").birth_year == 1990

    await bot.send(team.tom, "acme")
    await bot.press(team.tom, "Acme Machinery")
    await bot.press(team.tom, "🕘 Timeline")
    timeline = team.tom.last().text
    assert "· Li Na (customer)\n✏️ Li Na · Birthday: 12 May → 3 Jun 1990" in timeline
    assert "· Li Na (customer)\n✏️ Li Na · Birthday: — → 12 May" in timeline

    # Linking again (a new link from the rep) does not invite them a second time.
    await bot.press(team.tom, "◀ Customer")
    await bot.press(team.tom, "🔗 Link a contact")
    await bot.press(team.tom, "✅ Li Na")
    code = team.tom.last().text.split("?start=")[1].split()[0]
    await bot.send(li_na, f"/start {code}")
    await bot.press(li_na, "✅ Yes, message me")
    assert "/birthday" not in li_na.last().text


async def test_a_birthday_without_a_year_on_29_february_is_in_today_on_the_28th(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    add_customer(db, team.tom, "Acme Machinery", contact="Li Na")
    await bot.send(team.tom, "acme")
    await bot.press(team.tom, "Acme Machinery")
    await bot.press(team.tom, "✏️ Edit")
    await bot.press(team.tom, "✏️ Li Na")
    await bot.press(team.tom, "🎂 Birthday")
    await bot.send(team.tom, "2月29日")
    clock.current = datetime(2027, 2, 28, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai, not a leap year
    day = texts(await bot.send(team.tom, "/today"))
    assert "Birthdays today\n🎂 Li Na (Acme Machinery)" in day
    clock.current = datetime(2027, 3, 1, 1, 0, tzinfo=UTC)
    assert "Li Na" not in texts(await bot.send(team.tom, "/today"))
    clock.current = datetime(2028, 2, 28, 1, 0, tzinfo=UTC)  # a leap year: not on the 28th
    assert "Li Na" not in texts(await bot.send(team.tom, "/today"))
    clock.current = datetime(2028, 2, 29, 1, 0, tzinfo=UTC)
    assert "🎂 Li Na (Acme Machinery)" in texts(await bot.send(team.tom, "/today"))
