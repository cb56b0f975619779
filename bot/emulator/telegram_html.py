"""Telegram's flavour of HTML for ``parse_mode="HTML"``: a pure parser to plain text + entities.

Mirrors the rules of the real Bot API (tags it knows, attribute syntax, the four named
entities plus numeric ones, offsets in UTF-16 code units and error texts with UTF-8 byte
offsets) so the emulator rejects exactly the kind of markup Telegram would refuse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = [
    "TelegramHTMLError",
    "parse_html",
    "strip_formatted",
    "utf16_len",
]

_SPACES = frozenset(" \t\r\n\f\v\0")

_TAG_TYPES: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}

_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_NAMED_RE = re.compile(r"&([A-Za-z][A-Za-z0-9]*);")
_NUMERIC_RE = re.compile(r"&#(?:[xX]([0-9A-Fa-f]{1,8})|([0-9]{1,10}));")


class TelegramHTMLError(ValueError):
    """Markup Telegram would refuse; ``description`` is the text after ``Bad Request: ``."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, the unit Telegram measures texts in."""
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)


@dataclass
class _OpenTag:
    name: str
    argument: str
    expandable: bool
    start: int  # UTF-16 offset in the output text
    text_start: int  # index into the output character list


class _Parser:
    def __init__(self, source: str) -> None:
        self.src = source
        self.n = len(source)
        self.pos = 0
        self.out: list[str] = []
        self.u16 = 0
        self.stack: list[_OpenTag] = []
        self.entities: list[dict[str, Any]] = []

    # -- helpers ---------------------------------------------------------------------------

    def byte_offset(self, index: int) -> int:
        return len(self.src[:index].encode("utf-8"))

    def fail(self, message: str) -> TelegramHTMLError:
        return TelegramHTMLError(f"can't parse entities: {message}")

    def emit(self, chunk: str) -> None:
        self.out.append(chunk)
        self.u16 += utf16_len(chunk)

    def skip_spaces(self) -> None:
        while self.pos < self.n and self.src[self.pos] in _SPACES:
            self.pos += 1

    def decode_entity(self, index: int) -> tuple[str, int]:
        """Decode an ``&...;`` reference at ``index``; a bare ``&`` stays literal."""
        src = self.src
        numeric = _NUMERIC_RE.match(src, index)
        if numeric:
            hex_digits, dec_digits = numeric.groups()
            code = int(hex_digits, 16) if hex_digits else int(dec_digits)
            if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
                return chr(code), numeric.end()
            return "&", index + 1
        named = _NAMED_RE.match(src, index)
        if named:
            value = _NAMED_ENTITIES.get(named.group(1))
            if value is None:
                raise self.fail(
                    f'Unsupported HTML entity "{named.group(0)}" at byte offset '
                    f"{self.byte_offset(index)}; only &lt; &gt; &amp; &quot; and numeric "
                    "entities are supported"
                )
            return value, named.end()
        return "&", index + 1

    # -- main loop -------------------------------------------------------------------------

    def run(self) -> tuple[str, list[dict[str, Any]]]:
        src = self.src
        while self.pos < self.n:
            ch = src[self.pos]
            if ch == "&":
                value, self.pos = self.decode_entity(self.pos)
                self.emit(value)
            elif ch == "<":
                if self.pos + 1 < self.n and src[self.pos + 1] == "/":
                    self.end_tag()
                else:
                    self.start_tag()
            else:
                # Copy a run of ordinary characters at once.
                end = self.pos + 1
                while end < self.n and src[end] not in "&<":
                    end += 1
                self.emit(src[self.pos : end])
                self.pos = end
        if self.stack:
            raise self.fail(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"'
            )
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.out), self.entities

    def start_tag(self) -> None:
        src = self.src
        begin = self.pos
        self.pos += 1
        while self.pos < self.n and src[self.pos] not in _SPACES and src[self.pos] != ">":
            self.pos += 1
        if self.pos >= self.n:
            raise self.fail(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
        name = src[begin + 1 : self.pos].lower()
        if name not in _TAG_TYPES:
            raise self.fail(
                f'Unsupported start tag "{name}" at byte offset {self.byte_offset(begin)}'
            )
        argument = ""
        expandable = False
        while True:
            self.skip_spaces()
            if self.pos >= self.n:
                raise self.fail(
                    f'Unclosed start tag "{name}" at byte offset {self.byte_offset(begin)}'
                )
            if src[self.pos] == ">":
                self.pos += 1
                break
            attr_begin = self.pos
            while self.pos < self.n and src[self.pos] not in _SPACES and src[self.pos] not in "=>":
                self.pos += 1
            attr_name = src[attr_begin : self.pos].lower()
            if not attr_name:
                raise self.fail(
                    f'Empty attribute name in the tag "{name}" at byte offset '
                    f"{self.byte_offset(begin)}"
                )
            self.skip_spaces()
            if self.pos >= self.n:
                raise self.fail(
                    f'Unclosed start tag "{name}" at byte offset {self.byte_offset(begin)}'
                )
            if src[self.pos] != "=":
                if name == "blockquote" and attr_name == "expandable":
                    expandable = True
                    continue
                raise self.fail(
                    f'Expected equal sign in declaration of an attribute of the tag "{name}" '
                    f"at byte offset {self.byte_offset(begin)}"
                )
            self.pos += 1
            self.skip_spaces()
            if self.pos >= self.n:
                raise self.fail(
                    f'Unclosed start tag "{name}" at byte offset {self.byte_offset(begin)}'
                )
            value = self.attribute_value(name, begin)
            if name == "a" and attr_name == "href":
                argument = value
            elif name == "code" and attr_name == "class" and value.startswith("language-"):
                argument = value[len("language-") :]
            elif name == "span" and attr_name == "class" and value.startswith("tg-"):
                argument = value[len("tg-") :]
            elif name == "tg-emoji" and attr_name == "emoji-id":
                argument = value
            # Other attributes are ignored, as Telegram does.
        if name == "span" and argument != "spoiler":
            raise self.fail(
                f'Tag "span" must have class "tg-spoiler" at byte offset {self.byte_offset(begin)}'
            )
        self.stack.append(_OpenTag(name, argument, expandable, self.u16, len(self.out)))

    def attribute_value(self, tag: str, begin: int) -> str:
        src = self.src
        quote = src[self.pos]
        if quote in "\"'":
            self.pos += 1
            chars: list[str] = []
            while self.pos < self.n and src[self.pos] != quote:
                if src[self.pos] == "&":
                    value, self.pos = self.decode_entity(self.pos)
                    chars.append(value)
                else:
                    chars.append(src[self.pos])
                    self.pos += 1
            if self.pos >= self.n:
                raise self.fail(
                    f'Unclosed start tag "{tag}" at byte offset {self.byte_offset(begin)}'
                )
            self.pos += 1
            return "".join(chars)
        token_begin = self.pos
        while self.pos < self.n and (
            (src[self.pos].isascii() and src[self.pos].isalnum()) or src[self.pos] in ".-"
        ):
            self.pos += 1
        if self.pos >= self.n:
            raise self.fail(f'Unclosed start tag "{tag}" at byte offset {self.byte_offset(begin)}')
        if src[self.pos] not in _SPACES and src[self.pos] != ">":
            raise self.fail(
                f"Unexpected end of name token at byte offset {self.byte_offset(token_begin)}"
            )
        return src[token_begin : self.pos].lower()

    def end_tag(self) -> None:
        src = self.src
        begin = self.pos
        if not self.stack:
            raise self.fail(f"Unexpected end tag at byte offset {self.byte_offset(begin)}")
        self.pos += 2
        name_begin = self.pos
        while self.pos < self.n and src[self.pos] not in _SPACES and src[self.pos] != ">":
            self.pos += 1
        end_name = src[name_begin : self.pos].lower()
        self.skip_spaces()
        if self.pos >= self.n or src[self.pos] != ">":
            raise self.fail(f"Unclosed end tag at byte offset {self.byte_offset(begin)}")
        self.pos += 1
        tag = self.stack[-1]
        if end_name and end_name != tag.name:
            raise self.fail(
                f"Unmatched end tag at byte offset {self.byte_offset(begin)}, "
                f'expected "</{tag.name}>", found "</{end_name}>"'
            )
        self.stack.pop()
        self.close(tag)

    def close(self, tag: _OpenTag) -> None:
        length = self.u16 - tag.start
        if length <= 0:
            return
        entity: dict[str, Any] = {
            "type": _TAG_TYPES[tag.name],
            "offset": tag.start,
            "length": length,
        }
        if tag.name == "a":
            url = tag.argument or "".join(self.out[tag.text_start :])
            if not url:
                return
            entity["url"] = url
        elif tag.name == "code" and tag.argument:
            entity["language"] = tag.argument
        elif tag.name == "pre":
            previous = self.entities[-1] if self.entities else None
            if (
                previous is not None
                and previous["type"] == "code"
                and previous["offset"] == tag.start
                and previous["length"] == length
            ):
                self.entities.pop()
                if previous.get("language"):
                    entity["language"] = previous["language"]
        elif tag.name == "blockquote" and tag.expandable:
            entity["type"] = "expandable_blockquote"
        elif tag.name == "tg-emoji":
            if not tag.argument:
                return
            entity["custom_emoji_id"] = tag.argument
        self.entities.append(entity)


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram HTML into ``(plain_text, entities)``.

    Entity offsets and lengths are in UTF-16 code units, as in the Bot API. Raises
    :class:`TelegramHTMLError` with a Telegram-style description on invalid markup.
    """
    return _Parser(text).run()


def strip_formatted(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Trim leading/trailing whitespace as Telegram does, shifting and clipping entities."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    if not stripped:
        return "", []
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    new_len = utf16_len(stripped)
    result: list[dict[str, Any]] = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, new_len)
        if end > start:
            result.append({**entity, "offset": start, "length": end - start})
    return stripped, result
