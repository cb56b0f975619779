"""Text as people may store it: what a file or a message brought in, without the characters
that are not text (NUL and other control characters, unassigned or private code points, lone
surrogates, invisible formatting marks) that would break a name, a search or a PDF."""

from __future__ import annotations

import unicodedata

# Invisible marks that do belong in text: the joiners inside emoji and Indic or Arabic words.
KEPT_MARKS = frozenset({"\u200c", "\u200d"})
# Control characters that stand for space in a cell or a message.
SPACES = frozenset("\t\n\r\v\f\x85")


def printable(text: str) -> str:
    """``text`` with every character that is not text removed (line breaks and tabs become
    spaces); what is left may be empty."""
    kept: list[str] = []
    for char in text:
        if char in SPACES:
            kept.append(" ")
        elif unicodedata.category(char) not in {"Cc", "Cf", "Cs", "Co", "Cn"} or char in KEPT_MARKS:
            kept.append(char)
    return "".join(kept)


def one_line(text: str) -> str:
    """``text`` made printable, on one line, with runs of spaces made one."""
    return " ".join(printable(text).split())


def received(text: str) -> str:
    """What a person typed, as the bot may keep it: line breaks and tabs stay, every other
    control character (NUL, which PostgreSQL refuses in text, escape sequences, C1 codes) and
    lone surrogates go."""
    return "".join(
        char for char in text if char in "\n\t" or unicodedata.category(char) not in {"Cc", "Cs"}
    )
