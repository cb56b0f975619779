"""The funnel image of the daily digest: a PNG of the right size, one bar per stage, exact labels,
Chinese drawn with the CJK font."""

from __future__ import annotations

import io
import warnings
from decimal import Decimal

import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.image import imread
from matplotlib.patches import Rectangle

from bot.charts import FunnelStage, format_amount, funnel_figure, funnel_png
from bot.documents import find_cjk_font

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

STAGES = [
    FunnelStage("Lead", 12, Decimal("1234567.5")),
    FunnelStage("Quoted", 5, Decimal("400000")),
    FunnelStage("Won", 1, Decimal("99.99")),
]


def size_of(png: bytes) -> tuple[int, int]:
    """(width, height) of the decoded image."""
    assert png.startswith(PNG_SIGNATURE)
    pixels = imread(io.BytesIO(png), format="png")
    return pixels.shape[1], pixels.shape[0]


def the_axes(figure: Figure) -> Axes:
    (axes,) = figure.axes
    return axes


def bars(figure: Figure) -> list[Rectangle]:
    return [patch for patch in the_axes(figure).patches if isinstance(patch, Rectangle)]


def texts(figure: Figure) -> list[str]:
    axes = the_axes(figure)
    shown = [*figure.texts, *axes.texts, *axes.get_yticklabels()]
    return [text.get_text() for text in shown]


def test_png_is_800_wide_and_60_px_taller_per_stage() -> None:
    png = funnel_png(STAGES, title="Sales funnel", currency="CNY")

    assert size_of(png) == (800, 200 + 60 * len(STAGES))
    assert len(png) < 200_000


def test_one_bar_per_stage_first_stage_on_top_and_as_long_as_its_value() -> None:
    figure = funnel_figure(STAGES, title="Sales funnel", currency="CNY")
    drawn = bars(figure)

    assert len(drawn) == len(STAGES)
    assert [label.get_text() for label in the_axes(figure).get_yticklabels()] == [
        "Lead",
        "Quoted",
        "Won",
    ]
    assert [bar.get_width() for bar in drawn] == [float(stage.value) for stage in STAGES]
    figure.canvas.draw()
    tops = [bar.get_window_extent().y1 for bar in drawn]  # display y grows upwards
    assert tops == sorted(tops, reverse=True)


def test_bars_are_as_long_as_the_counts_when_no_stage_has_a_value() -> None:
    stages = [FunnelStage("Lead", 4, Decimal(0)), FunnelStage("Won", 1, Decimal("0.00"))]

    figure = funnel_figure(stages, title="Sales funnel", currency="CNY")

    assert [bar.get_width() for bar in bars(figure)] == [4.0, 1.0]


def test_a_stage_label_has_its_count_and_the_exact_amount() -> None:
    figure = funnel_figure(STAGES, title="Sales funnel", currency="CNY")

    shown = texts(figure)
    assert "12 deals · 1,234,567.50 CNY" in shown
    assert "1 deal · 99.99 CNY" in shown
    assert "Total: 18 deals · 1,634,667.49 CNY" in shown


def test_amounts_are_formatted_from_the_decimal_not_a_float() -> None:
    assert format_amount(Decimal("1234567.5")) == "1,234,567.50"
    assert format_amount(Decimal("0.005")) == "0.01"  # half up, like the quotes
    assert format_amount(Decimal("12345678901234567.89")) == "12,345,678,901,234,567.89"
    assert format_amount(Decimal(0)) == "0.00"


def test_chinese_names_are_drawn_with_the_cjk_font() -> None:
    font = find_cjk_font(None)
    if font is None:
        pytest.skip("no CJK font on this machine (apt-get install fonts-wqy-microhei)")
    stages = [FunnelStage("报价", 3, Decimal("8800")), FunnelStage("赢单", 1, Decimal("1200"))]

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font(s)" would fail the test
        figure = funnel_figure(stages, title="销售漏斗", currency="元", font=font)
        figure.canvas.draw()
        png = funnel_png(stages, title="销售漏斗", currency="元", font=font)

    axes = the_axes(figure)
    names = axes.get_yticklabels()
    assert [name.get_text() for name in names] == ["报价", "赢单"]
    for text in [*names, *axes.texts, *figure.texts]:
        assert text.get_fontproperties().get_file() == str(font)
    assert size_of(png) == (800, 320)


def test_no_stages_still_give_a_png_that_says_no_open_deals() -> None:
    figure = funnel_figure([], title="Sales funnel", currency="CNY")
    png = funnel_png([], title="Sales funnel", currency="CNY")

    assert bars(figure) == []
    assert "No open deals" in texts(figure)
    assert size_of(png) == (800, 200)


def test_the_png_is_the_same_each_time_and_names_no_software() -> None:
    first = funnel_png(STAGES, title="Sales funnel", currency="CNY")
    second = funnel_png(STAGES, title="Sales funnel", currency="CNY")

    assert first == second
    assert b"Software" not in first
    assert b"Matplotlib" not in first
