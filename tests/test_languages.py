"""Every language has every template and button the bot uses, and each translation uses the same
values as the English one: a missing file, macro or placeholder fails here, not in a chat."""

from __future__ import annotations

import pytest
from jinja2 import Environment, nodes

from bot.rendering import FALLBACK_LANGUAGE, TEMPLATES_DIR

LANGUAGES = sorted(path.name for path in TEMPLATES_DIR.iterdir() if path.is_dir())
OTHERS = [language for language in LANGUAGES if language != FALLBACK_LANGUAGE]


def _files(language: str) -> set[str]:
    root = TEMPLATES_DIR / language
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}


def _dotted(node: nodes.Node) -> str | None:
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        base = _dotted(node.node)
        return f"{base}.{node.attr}" if base else None
    return None


def placeholders(source: str) -> set[str]:
    """The values a template reads (``card.name``, ``when``…), the keys of its lookup tables, the
    macros it defines with their arguments, and what it imports or includes."""
    tree = Environment().parse(source)
    found: set[str] = set()
    for node in tree.find_all((nodes.Name, nodes.Getattr)):
        if isinstance(node, nodes.Name) and node.ctx != "load":
            continue
        dotted = _dotted(node)
        if dotted:
            found.add(dotted)
    for pair in tree.find_all(nodes.Pair):  # the keys of a lookup like {"visit": "拜访"}[kind]
        if isinstance(pair.key, nodes.Const):
            found.add(f"key {pair.key.value!r}")
    for macro in tree.find_all(nodes.Macro):
        found.add(f"macro {macro.name}({', '.join(arg.name for arg in macro.args)})")
    for imported in tree.find_all((nodes.FromImport, nodes.Import, nodes.Include)):
        template = getattr(imported, "template", None)
        if isinstance(template, nodes.Const):
            found.add(f"uses {template.value}")
    return found


def test_there_is_a_language_besides_english() -> None:
    assert "zh" in OTHERS


@pytest.mark.parametrize("language", OTHERS)
def test_every_template_exists_in_every_language(language: str) -> None:
    english, other = _files(FALLBACK_LANGUAGE), _files(language)
    assert sorted(english - other) == [], f"missing in {language}"
    assert sorted(other - english) == [], f"only in {language}"


@pytest.mark.parametrize("language", OTHERS)
def test_translations_use_the_same_values_as_english(language: str) -> None:
    differences = []
    for name in sorted(_files(FALLBACK_LANGUAGE) & _files(language)):
        english = placeholders((TEMPLATES_DIR / FALLBACK_LANGUAGE / name).read_text("utf-8"))
        other = placeholders((TEMPLATES_DIR / language / name).read_text("utf-8"))
        if english != other:
            differences.append(
                f"{name}: only in en {sorted(english - other)}, only in {language} "
                f"{sorted(other - english)}"
            )
    assert differences == []


def test_placeholders_tell_a_changed_value_apart() -> None:
    assert placeholders("{{ card.name }} {{ money(1, 'CNY') }}") == {"card.name", "card", "money"}
    assert placeholders("{{ card.title }}") != placeholders("{{ card.name }}")
    macro = '{% macro skip() %}跳过{% endmacro %}{% from "_macros.html" import when %}'
    assert placeholders(macro) == {"macro skip()", "uses _macros.html"}
    lookup = '{{ {"visit": "拜访", "call": "电话"}[kind] }}'
    assert placeholders(lookup) == {"kind", "key 'visit'", "key 'call'"}
