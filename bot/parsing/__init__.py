"""Parsers that turn what a rep types (dates, amounts, one-line visit captures) into values.

They never raise on bad input: they return None so the bot can ask again with an example."""

from bot.parsing.amounts import Money, parse_amount
from bot.parsing.capture import Capture, parse_capture
from bot.parsing.dates import When, find_when_at_edges, parse_when

__all__ = [
    "Capture",
    "Money",
    "When",
    "find_when_at_edges",
    "parse_amount",
    "parse_capture",
    "parse_when",
]
