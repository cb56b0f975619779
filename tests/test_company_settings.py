"""End to end: an admin's company settings in /settings (🏢 Company settings) — quote discount
limits, contact and staff quiet hours, the windows for people's own brief and digest times —
and each person's ⏰ Brief time and 📊 Digest time: what the bot answers, what the database
holds, the change history, and the scheduler and quotes following the new values. Nonsense at
each step is asked again; a non-admin neither sees nor may forge the company buttons."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlmodel import col, select

from bot.db import Database
from bot.emulator import BotAPIEmulator, SimUser
from bot.local import LocalBot
from models import ChangeEntry, CompanySetting, OutboxMessage, Role
from tests.conftest import FakeClock
from tests.flows import (
    actor_of,
    add_customer,
    link_contact,
    register,
    sales_team,
    texts,
    user_row,
)
from tests.test_care import greetings, rows, tick_at
from tests.test_deals import create_deal
from tests.test_digest import digests
from tests.test_first_brief import briefs
from tests.test_quotes import add_products, build_quote, the_quote

COMPANY = "🏢 Company settings"
REP_LIMIT = "Maximum discount: rep"
MANAGER_LIMIT = "Maximum discount: manager"
CONTACT_QUIET = "Contact quiet hours"


def overrides(db: Database) -> dict[str, str]:
    with db.session() as session:
        return {row.key: row.value for row in session.exec(select(CompanySetting))}


def setting_history(db: Database, key: str) -> list[tuple[str, str | None, int | None]]:
    """(action, field, author) of each change history row of a company setting."""
    with db.session() as session:
        found = session.exec(
            select(ChangeEntry)
            .where(ChangeEntry.record_kind == "setting", ChangeEntry.record_id == key)
            .order_by(col(ChangeEntry.id))
        )
        return [(row.action, row.field, row.changed_by_id) for row in found]


async def change_company(bot: LocalBot, admin: SimUser, setting: str, value: str) -> str:
    """/settings → 🏢 Company settings → ``setting`` → ``value``; returns the answer."""
    await bot.send(admin, "/settings")
    await bot.press(admin, COMPANY)
    await bot.press(admin, setting)
    return texts(await bot.send(admin, value))


async def test_an_admin_changes_a_discount_limit_re_asked_on_nonsense_and_recorded(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await sales_team(bot, emulator)
    shown = await bot.send(team.admin, "/settings")
    assert COMPANY in shown[-1].button_texts()
    await bot.press(team.admin, COMPANY)
    panel = team.admin.last()
    assert panel.text.startswith(
        "🏢 Company settings\n"
        "Staff quiet hours: 22:00-07:00\n"
        "Contact quiet hours: 21:00-08:00\n"
        f"{REP_LIMIT}: 10%\n"
        f"{MANAGER_LIMIT}: 20%\n"
        "Brief time window: 06:00-11:00\n"
        "Digest time window: 16:00-21:00\n\n"
    )
    await bot.press(team.admin, REP_LIMIT)
    assert "now 10%" in team.admin.last().text and "from 0 to 100" in team.admin.last().text
    for nonsense in ("lots", "150", "-5", "12.345", "5 percent"):
        answer = texts(await bot.send(team.admin, nonsense))
        assert "does not fit. Send a percentage from 0 to 100" in answer, nonsense
    answer = texts(await bot.send(team.admin, "25"))
    assert "A rep's maximum discount (25%) cannot be above a manager's (20%)" in answer
    assert overrides(db) == {}
    saved = await bot.send(team.admin, "5%")
    assert saved[-1].text.startswith(f"✅ {REP_LIMIT}: 5%\n\n🏢 Company settings\n")
    assert f"\n{REP_LIMIT}: 5% (default 10%)\n{MANAGER_LIMIT}: 20%\n" in saved[-1].text
    assert overrides(db) == {"quote_rep_max_discount": "5"}
    admin_id = actor_of(db, team.admin.id).user_id
    with db.session() as session:
        row = session.get(CompanySetting, "quote_rep_max_discount")
        assert row is not None and row.updated_by_id == admin_id
    assert setting_history(db, "quote_rep_max_discount") == [("create", None, admin_id)]

    # The manager's limit may not go below the rep's either; "default" clears an override.
    answer = await change_company(bot, team.admin, MANAGER_LIMIT, "4")
    assert "(5%) cannot be above a manager's (4%)" in answer
    assert (await bot.send(team.admin, "12.5"))[-1].text.startswith(f"✅ {MANAGER_LIMIT}: 12.5%")
    answer = await change_company(bot, team.admin, REP_LIMIT, "7")
    assert answer.startswith(f"✅ {REP_LIMIT}: 7%")
    answer = await change_company(bot, team.admin, REP_LIMIT, "default")
    assert answer.startswith(f"✅ {REP_LIMIT}: 10% (the default)")
    assert overrides(db) == {"quote_manager_max_discount": "12.5"}
    assert setting_history(db, "quote_rep_max_discount") == [
        ("create", None, admin_id),
        ("update", "value", admin_id),
        ("delete", None, admin_id),
    ]


async def test_a_rep_limit_of_5_makes_an_8_percent_quote_wait_for_the_manager(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await sales_team(bot, emulator)
    add_customer(db, team.tom, "Acme Machinery")
    add_products(db)
    await create_deal(bot, team.tom, "Acme Machinery", "Lathes", "20k")
    await change_company(bot, team.admin, REP_LIMIT, "5")
    await build_quote(bot, team.tom, "CNC-100", "10", "8")
    assert "Needs your manager's approval." in team.tom.last().text
    await bot.press(team.tom, "📤 Submit")
    assert "📨 Sent for approval" in team.tom.last().text
    quote = the_quote(db)
    assert quote.status == "pending_manager" and quote.max_discount_pct == Decimal("8.00")
    assert "Tom asks you to approve a quote for Acme Machinery" in team.manager.last().text

    # Back at the default (10 %), the same discount is within the rep's limit.
    await change_company(bot, team.admin, REP_LIMIT, "default")
    await build_quote(bot, team.tom, "CNC-100", "10", "8")
    assert "Within your limits" in team.tom.last().text


async def test_contact_quiet_hours_hold_a_birthday_greeting_until_they_end(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    add_customer(db, team.tom, "Acme Machinery", contact="Li Na", birthday=(11, 26))
    li = await link_contact(bot, emulator, team.tom, "acme", "Acme Machinery", "Li Na", 7001)
    answer = await change_company(bot, team.admin, CONTACT_QUIET, "late")
    assert "Send a range of the day as HH:MM-HH:MM, like 22:00-07:00" in answer
    assert "does not fit" in texts(await bot.send(team.admin, "21:00-25:00"))
    saved = await bot.send(team.admin, "21:00 - 10:00")
    assert saved[-1].text.startswith(f"✅ {CONTACT_QUIET}: 21:00-10:00")
    assert overrides(db) == {"contact_quiet_hours": "21:00-10:00"}

    # The greeting is due at 09:00 in Shanghai (01:00 UTC): quiet until 10:00 now.
    await tick_at(bot, clock, datetime(2026, 11, 26, 1, 0, tzinfo=UTC))
    assert greetings(li) == []
    assert [(row.state, row.reason) for row in rows(db, "birthday")] == [("pending", "quiet hours")]
    await tick_at(bot, clock, datetime(2026, 11, 26, 1, 59, tzinfo=UTC))
    assert greetings(li) == []
    await tick_at(bot, clock, datetime(2026, 11, 26, 2, 0, tzinfo=UTC))  # 10:00 in Shanghai
    assert len(greetings(li)) == 1
    assert [row.state for row in rows(db, "birthday")] == ["sent"]


async def test_staff_quiet_hours_move_the_morning_brief(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    answer = await change_company(bot, team.admin, "Staff quiet hours", "22:00-09:00")
    assert answer.startswith("✅ Staff quiet hours: 22:00-09:00")
    # 08:30 in Shanghai is quiet now: Tom's brief waits for 09:00.
    await tick_at(bot, clock, datetime(2026, 11, 26, 0, 30, tzinfo=UTC))
    assert briefs(team.tom) == []
    await tick_at(bot, clock, datetime(2026, 11, 26, 1, 0, tzinfo=UTC))
    assert briefs(team.tom) == ["☀️ Good morning, Tom: nothing due today (Thu 26 Nov)."]


async def test_a_manager_chooses_her_digest_time_and_a_colleague_keeps_the_companys(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    south = await register(bot, emulator, team.admin, Role.MANAGER, 5205, "Li", team="South")
    shown = await bot.send(team.manager, "/settings")
    assert shown[-1].text.endswith(
        "\nMorning brief: 08:30 (the company's)\nDigest: 18:00 (the company's)"
    )
    assert shown[-1].button_texts() == [
        "Change time zone",
        "🌐 Language",
        "⏰ Brief time",
        "📊 Digest time",
    ]
    await bot.press(team.manager, "📊 Digest time")
    assert team.manager.last().text == (
        "When shall your digest come? Now: 18:00 (the company's).\n"
        "Send a time between 16:00-21:00 in your time zone, like 16:00, or default for the "
        "company's time. Or /cancel."
    )
    assert "not a time" in texts(await bot.send(team.manager, "after lunch"))
    outside = texts(await bot.send(team.manager, "15:00"))
    assert "15:00 is outside the hours your admin allows for the digest" in outside
    assert "between 16:00-21:00" in outside
    row = user_row(db, team.manager.id)
    assert row is not None and row.digest_time is None
    done = await bot.send(team.manager, "17:00")
    assert done[-1].text == "✅ Your digest comes at 17:00 your time from now on."
    row = user_row(db, team.manager.id)
    assert row is not None and row.digest_time == "17:00"
    shown = await bot.send(team.manager, "/settings")
    assert shown[-1].text.endswith("\nDigest: 17:00 (your own)")
    with db.session() as session:
        changes = session.exec(
            select(ChangeEntry).where(
                ChangeEntry.record_kind == "user", ChangeEntry.field == "digest_time"
            )
        ).all()
    assert [(c.old_value, c.new_value, c.changed_by_id) for c in changes] == [
        (None, "17:00", row.id)
    ]
    await bot.settle(await team.admin.press_data(f"hist:usr:{row.id}:0"))
    assert "✏️ Digest time: " in team.admin.last().text
    assert "→ 17:00" in team.admin.last().text

    # 17:00 in Shanghai is 09:00 UTC: Mei's digest only; Li's comes at 18:00.
    await tick_at(bot, clock, datetime(2026, 11, 26, 8, 59, tzinfo=UTC))
    assert digests(db, team.manager) == [] and digests(db, south) == []
    await tick_at(bot, clock, datetime(2026, 11, 26, 9, 0, tzinfo=UTC))
    [mei_row] = digests(db, team.manager)
    assert mei_row.due_at == datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    assert mei_row.key == f"digest:{row.id}:2026-11-26" and mei_row.state == "sent"
    assert digests(db, south) == []
    await tick_at(bot, clock, datetime(2026, 11, 26, 9, 45, tzinfo=UTC))
    assert digests(db, south) == []
    await tick_at(bot, clock, datetime(2026, 11, 26, 10, 0, tzinfo=UTC))
    [li_row] = digests(db, south)
    assert li_row.due_at == datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    assert len(digests(db, team.manager)) == 1

    # "default": the company's time again.
    await bot.send(team.manager, "/settings")
    await bot.press(team.manager, "📊 Digest time")
    done = await bot.send(team.manager, "default")
    assert done[-1].text == "✅ Your digest comes at the company's time again, 18:00."
    row = user_row(db, team.manager.id)
    assert row is not None and row.digest_time is None


async def test_a_brief_time_outside_the_window_is_asked_again_and_the_brief_follows_it(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    shown = await bot.send(team.tom, "/settings")
    assert shown[-1].text.endswith("English\nMorning brief: 08:30 (the company's)")
    assert "📊 Digest time" not in shown[-1].button_texts()  # reps get no digest
    assert COMPANY not in shown[-1].button_texts()
    await bot.press(team.tom, "⏰ Brief time")
    outside = texts(await bot.send(team.tom, "05:30"))
    assert "05:30 is outside the hours your admin allows for the morning brief" in outside
    assert "between 06:00-11:00" in outside
    assert "not a time" in texts(await bot.send(team.tom, "25:00"))
    done = await bot.send(team.tom, "7:15")
    assert done[-1].text == "✅ Your morning brief comes at 07:15 your time from now on."
    row = user_row(db, team.tom.id)
    assert row is not None and row.brief_time == "07:15"

    # The admin narrows the window: a new choice must fit it.
    answer = await change_company(bot, team.admin, "Brief time window", "07:00-09:00")
    assert answer.startswith("✅ Brief time window: 07:00-09:00")
    await bot.send(team.sara, "/settings")
    await bot.press(team.sara, "⏰ Brief time")
    assert "between 07:00-09:00" in texts(await bot.send(team.sara, "06:30"))

    # Tom's brief at 07:15 in Shanghai (23:15 UTC the day before); Sara's at 08:30.
    await tick_at(bot, clock, datetime(2026, 11, 26, 23, 14, tzinfo=UTC))
    assert briefs(team.tom) == []
    await tick_at(bot, clock, datetime(2026, 11, 26, 23, 15, tzinfo=UTC))
    assert briefs(team.tom) == ["☀️ Good morning, Tom: nothing due today (Fri 27 Nov)."]
    assert briefs(team.sara) == []
    with db.session() as session:
        brief = session.exec(
            select(OutboxMessage).where(
                OutboxMessage.kind == "brief", OutboxMessage.user_id == row.id
            )
        ).one()
    assert brief.due_at == datetime(2026, 11, 26, 23, 15, tzinfo=UTC)
    await tick_at(bot, clock, datetime(2026, 11, 27, 0, 30, tzinfo=UTC))
    assert len(briefs(team.sara)) == 1


TZ_LANGUAGE = ["Change time zone", "🌐 Language"]
OPENS = ""  # the press opens the step (answered without a pop-up)


async def test_role_matrix_for_the_settings_buttons(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    """Which /settings buttons each kind of person sees, and what a (forged) press of each
    answers: only admins reach the company settings; a brief time for those who get a brief, a
    digest time for managers and directors."""
    team = await sales_team(bot, emulator)
    south = await register(bot, emulator, team.admin, Role.MANAGER, 5205, "Li", team="South")
    finance = await register(bot, emulator, team.admin, Role.FINANCE, 5401, "Fiona")
    director = await register(bot, emulator, team.admin, Role.DIRECTOR, 5301, "Dave")
    add_customer(db, team.tom, "Acme Machinery", contact="Li Na")
    contact = await link_contact(bot, emulator, team.tom, "acme", "Acme Machinery", "Li Na", 7001)
    stranger = emulator.user(5999, "Stranger")
    brief, digest = "⏰ Brief time", "📊 Digest time"
    presses = ("set:company", "set:co:quote_rep_max_discount", "set:my:brief", "set:my:digest")
    # person → (their /settings buttons, the answer to each of ``presses``)
    matrix: list[tuple[SimUser, list[str], tuple[str, str, str, str]]] = [
        (team.tom, [*TZ_LANGUAGE, brief], ("Not found.", "Not found.", OPENS, "Not found.")),
        (team.ken, [*TZ_LANGUAGE, brief], ("Not found.", "Not found.", OPENS, "Not found.")),
        (team.manager, [*TZ_LANGUAGE, brief, digest], ("Not found.", "Not found.", OPENS, OPENS)),
        (south, [*TZ_LANGUAGE, brief, digest], ("Not found.", "Not found.", OPENS, OPENS)),
        (finance, [*TZ_LANGUAGE, brief], ("Not found.", "Not found.", OPENS, "Not found.")),
        (director, [*TZ_LANGUAGE, brief, digest], ("Not found.", "Not found.", OPENS, OPENS)),
        (team.admin, [*TZ_LANGUAGE, COMPANY], (OPENS, OPENS, "Not found.", "Not found.")),
    ]
    for person, buttons, answers in matrix:
        shown = await bot.send(person, "/settings")
        assert shown[-1].button_texts() == buttons, person.first_name
        for data, expected in zip(presses, answers, strict=True):
            before = len(person.callback_answers)
            await bot.settle(await person.press_data(data))
            assert len(person.callback_answers) == before + 1, (person.first_name, data)
            answer = person.callback_answers[-1].get("text") or ""
            assert answer == expected, (person.first_name, data)
        await bot.send(person, "/cancel")
        # A refused press puts nobody in the middle of a change: "3" is just a search.
        if COMPANY not in buttons:
            assert "Maximum discount" not in texts(await bot.send(person, "3"))
    # An admin pressing an unknown setting gets the same answer as a missing record.
    await bot.settle(await team.admin.press_data("set:co:nonsense"))
    assert team.admin.callback_answers[-1]["text"] == "Not found."
    # A customer's contact and a stranger get no settings of the company.
    for outsider in (contact, stranger):
        await bot.send(outsider, "/settings")
        await bot.settle(await outsider.press_data("set:company"))
        assert not any("Company settings" in m.text for m in outsider.messages)
    assert overrides(db) == {}
