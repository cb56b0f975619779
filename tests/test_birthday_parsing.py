"""Birthdays as people type them, with or without the year, in English and Chinese."""

from __future__ import annotations

import pytest

from bot.parsing.birthdays import Birthday, parse_birthday


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("12 May", Birthday(5, 12)),
        ("12 may 1985", Birthday(5, 12, 1985)),
        ("May 12", Birthday(5, 12)),
        ("May 12th, 1985", Birthday(5, 12, 1985)),
        ("12th of May", Birthday(5, 12)),
        ("5月12日", Birthday(5, 12)),
        ("5月12号", Birthday(5, 12)),
        ("1985年5月12日", Birthday(5, 12, 1985)),
        ("1985-05-12", Birthday(5, 12, 1985)),
        ("1985/5/12", Birthday(5, 12, 1985)),
        ("12.05.1985", Birthday(5, 12, 1985)),
        ("12/05", Birthday(5, 12)),
        ("  29 Feb ", Birthday(2, 29)),
        ("2月29日", Birthday(2, 29)),
        ("1984-02-29", Birthday(2, 29, 1984)),
        ("sept 3", Birthday(9, 3)),
    ],
)
def test_birthdays_people_type(typed: str, expected: Birthday) -> None:
    assert parse_birthday(typed, this_year=2026) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "soon",
        "31 Feb",
        "1985-02-29",
        "2030-01-01",
        "1899-12-31",
        "13/13",
        "0 May",
        "May 32",
        "12",
        "5月",
        "tomorrow",
        "12 Mayo",
    ],
)
def test_what_is_not_a_birthday(typed: str) -> None:
    assert parse_birthday(typed, this_year=2026) is None
