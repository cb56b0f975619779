"""End to end: an admin shapes the pipeline in /pipeline (issue 14) — renames a stage (everyone
sees the name, in every language), moves stages, adds one, sets probabilities and the days after
which a deal has gone quiet; every step re-asks on nonsense; others may not."""

from __future__ import annotations

from sqlmodel import col, select

from bot.db import Database
from bot.emulator import BotAPIEmulator
from bot.local import LocalBot
from models import ChangeEntry, Deal, PipelineStage, User
from tests.flows import texts
from tests.test_deals import create_deal, seeded


def _stages(db: Database) -> list[PipelineStage]:
    with db.session() as session:
        return list(session.exec(select(PipelineStage).order_by(col(PipelineStage.sequence))))


async def test_rename_reorder_add_and_numbers(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await seeded(bot, emulator, db)
    admin = team.admin
    listing = (await bot.send(admin, "/pipeline"))[-1]
    assert listing.button_texts()[2] == "Quoted · 50%"
    assert listing.button_texts()[-1] == "➕ Add stage"

    # Rename Quoted; nonsense first.
    await bot.press(admin, "Quoted · 50%")
    assert admin.last().button_texts() == [
        "✏️ Rename",
        "⬆️ Up",
        "⬇️ Down",
        "🎯 Probability",
        "🕸 Gone quiet after",
        "◀ Pipeline",
    ]
    await bot.press(admin, "✏️ Rename")
    assert admin.last().text.startswith("What should Quoted be called?")
    for nonsense, answer in (
        ("\x00\x07", "A stage needs a name made of letters or digits."),
        ("x" * 41, "That is longer than 40 characters."),
        ("won", "Another stage already has that name."),
        ("Negotiation", "Another stage already has that name."),
    ):
        said = texts(await bot.send(admin, nonsense))
        assert said.startswith(answer) or ("already has" in said and nonsense == "Negotiation"), (
            nonsense,
            said,
        )
    saved = texts(await bot.send(admin, "Proposal sent"))
    assert (
        saved.startswith("✅ Saved.") and "Stage Proposal sent (quoted), named by an admin" in saved
    )
    assert [s.name for s in _stages(db) if s.key == "quoted"] == ["Proposal sent"]

    # Everyone sees the name: a rep's deal card, /funnel, the Chinese rep too.
    await create_deal(bot, team.tom, "Acme Machinery", "Lathes", "10k")
    assert "→ Proposal sent" in team.tom.last().button_texts()
    await bot.press(team.tom, "→ Proposal sent")
    assert "Stage: Proposal sent" in team.tom.last().text
    funnel = (await bot.send(team.manager, "/funnel"))[-1]
    assert "Proposal sent (1)" in funnel.button_texts()
    with db.session() as session:  # Sara reads Chinese: the admin's name is hers too
        sara = session.exec(select(User).where(col(User.full_name).startswith("Sara"))).one()
        sara.language = "zh"
    await bot.send(team.sara, "/deal")
    await bot.press(team.sara, "Pacific Steel Works")
    await bot.send(team.sara, "Steel")
    await bot.send(team.sara, "5k")
    await bot.press(team.sara, "dl:skip:close")
    await bot.press(team.sara, "dl:tf:3m")
    await bot.press(team.sara, "dl:src:trade_show")
    assert "→ Proposal sent" in team.sara.last().button_texts()
    assert "→ 谈判中" in team.sara.last().button_texts()

    # Reorder: Quoted down below Negotiation; the deal card's buttons follow.
    await bot.press(admin, "◀ Pipeline")
    await bot.press(admin, "Proposal sent · 50%")
    await bot.press(admin, "⬇️ Down")
    assert [s.key for s in _stages(db)] == [
        "lead",
        "qualified",
        "negotiation",
        "quoted",
        "contract_review",
        "won",
        "lost",
    ]
    assert admin.last().text.startswith("Saved.")
    assert "3. Negotiation negotiation · 70%" in admin.last().text

    # Add a stage: a name, then its probability (nonsense re-asked at both).
    await bot.press(admin, "➕ Add stage")
    assert texts(await bot.send(admin, "   ⁠")).startswith("A stage needs a name")
    asked = (await bot.send(admin, "Site survey"))[-1]
    assert "default win probability of <b>Site survey</b>" in (asked.html or "")
    for nonsense in ("lots", "150", "-5", "1e3"):
        assert texts(await bot.send(admin, nonsense)).startswith(
            "Send a whole number from 0 to 100"
        )
    assert texts(await bot.send(admin, "35")).startswith("✅ Saved.")
    added = [s for s in _stages(db) if s.key == "site_survey"]
    assert len(added) == 1 and added[0].probability == 35 and added[0].name == "Site survey"
    assert [s.key for s in _stages(db)][-3:] == ["site_survey", "won", "lost"]

    # Probability and days gone quiet, nonsense first, then default.
    await bot.press(admin, "🎯 Probability")
    assert texts(await bot.send(admin, "abc")).startswith("Send a whole number from 0 to 100")
    assert "Win probability: 45%" in texts(await bot.send(admin, "45%"))
    await bot.press(admin, "🕸 Gone quiet after")
    for nonsense in ("0", "366", "two weeks"):
        assert texts(await bot.send(admin, nonsense)).startswith("Send a whole number of days")
    assert "Gone quiet after: 21 days" in texts(await bot.send(admin, "21"))
    assert [(s.probability, s.stale_days) for s in _stages(db) if s.key == "site_survey"] == [
        (45, 21)
    ]
    await bot.press(admin, "🕸 Gone quiet after")
    assert "(the company default)" in texts(await bot.send(admin, "default"))

    # A deal moves into the new stage like any other, and takes its probability.
    await bot.settle(await team.tom.press_data(f"deal:open:{_deal(db).id}"))
    await bot.press(team.tom, "→ Site survey")
    assert (_deal(db).stage_key, _deal(db).probability) == ("site_survey", 45)

    # Won is fixed: rename only; a forged probability button is refused.
    await bot.press(admin, "◀ Pipeline")
    await bot.press(admin, "Won · 100%")
    assert admin.last().button_texts() == ["✏️ Rename", "◀ Pipeline"]
    await bot.settle(await admin.press_data("pl:pr:won"))
    assert admin.last().text.startswith("Won and Lost stay last")
    await bot.settle(await admin.press_data("pl:s:nowhere"))
    assert admin.callback_answers[-1]["text"] == "Not found."

    with db.session() as session:
        changes = session.exec(select(ChangeEntry).where(ChangeEntry.record_kind == "stage")).all()
    admin_id = next(c.changed_by_id for c in changes if c.field == "name")
    assert admin_id is not None
    assert {"name", "sequence", "probability", "stale_days"} <= {c.field for c in changes}
    assert any(c.action == "create" and c.record_id == "site_survey" for c in changes)


async def test_new_deals_start_in_the_first_stage_and_others_may_not_edit(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await seeded(bot, emulator, db)
    await bot.send(team.admin, "/pipeline")
    await bot.press(team.admin, "Lead · 10%")
    await bot.press(team.admin, "⬇️ Down")
    await create_deal(bot, team.tom, "Acme Machinery", "Lathes", "10k")
    assert (_deal(db).stage_key, _deal(db).probability) == ("qualified", 25)

    for person in (team.tom, team.manager):
        assert texts(await bot.send(person, "/pipeline")) == "You can't do that with your role."
        await bot.settle(await person.press_data("pl:rn:quoted"))
        assert person.callback_answers[-1]["text"] == "You can't do that with your role."
    assert [s.name for s in _stages(db)] == [None] * 7


def _deal(db: Database) -> Deal:
    with db.session() as session:
        return session.exec(select(Deal).order_by(col(Deal.id))).first()  # type: ignore[return-value]
