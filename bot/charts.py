"""Images the bot sends, as PNGs for sendPhoto: the sales funnel of a manager's daily digest
(``funnel_png``), and /funnel's open deals per stage with the period's forecast
(``pipeline_chart``, which returns the figures it drew with the picture).

Drawn with matplotlib's Agg renderer on a bare ``Figure`` (no pyplot, no global backend or
rcParams change), so it needs no display and each call works on its own figure. Rendering takes
tens of milliseconds of CPU: from async code call it through ``asyncio.to_thread``.

Stage names may be Chinese: the CJK font is the one ``bot.documents.find_cjk_font`` finds (the
quote PDFs' font). Without one, Chinese characters draw as empty boxes and matplotlib warns.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from bot.documents import find_cjk_font

if TYPE_CHECKING:  # matplotlib is imported when a chart is drawn, not at the bot's start
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.text import Text

DPI = 100
WIDTH_PX = 800
BASE_HEIGHT_PX = 200
STAGE_HEIGHT_PX = 60
HEADER_PX = 90  # above the bars: the title and the total line
BOTTOM_PX = 50  # below the bars: air
LEFT_PAD_PX = 20  # left of the stage names
RIGHT_PAD_PX = 20  # right of the longest label
LABEL_GAP_PX = 8  # between a bar's end and its label
MAX_NAME_CHARS = 24  # longer stage names are cut with "…"
BAR_HEIGHT = 0.62  # of a stage's 60 px slot
BAR_COLOR = "#4C72B0"
TEXT_COLOR = "#222222"
MUTED_COLOR = "#666666"
EMPTY_TEXT = "No open deals"
CENT = Decimal("0.01")


@dataclass(frozen=True)
class FunnelStage:
    name: str  # e.g. "Lead", "Quoted", or "报价"
    count: int  # open deals in the stage
    value: Decimal  # total amount of those deals


def format_amount(value: Decimal) -> str:
    """``Decimal("1234567.5")`` → ``"1,234,567.50"``: cents rounded half up, never via float."""
    return f"{value.quantize(CENT, rounding=ROUND_HALF_UP):,.2f}"


def stage_label(stage: FunnelStage, currency: str) -> str:
    """The text beside a stage's bar: ``"3 deals · 12,345.00 CNY"``."""
    deals = "deal" if stage.count == 1 else "deals"
    return f"{stage.count} {deals} · {format_amount(stage.value)} {currency}"


@dataclass(frozen=True)
class ChartWords:
    """The chart's words in the reader's language (English by default)."""

    empty: str = EMPTY_TEXT
    total: Callable[[str], str] = "Total: {}".format
    stage: Callable[[FunnelStage, str], str] = stage_label


ENGLISH = ChartWords()


def funnel_png(
    stages: Sequence[FunnelStage],
    *,
    title: str,
    currency: str,
    font: Path | None = None,
    words: ChartWords = ENGLISH,
) -> bytes:
    """The funnel as PNG bytes: one horizontal bar per stage, the first stage on top.

    ``font`` is the CJK font file; when None, the system's is looked for (``find_cjk_font``).
    """
    figure = funnel_figure(stages, title=title, currency=currency, font=font, words=words)
    buffer = io.BytesIO()
    # No "Software" text chunk: the bytes depend on the drawing only (PNG gets no timestamp).
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def funnel_figure(
    stages: Sequence[FunnelStage],
    *,
    title: str,
    currency: str,
    font: Path | None = None,
    words: ChartWords = ENGLISH,
) -> Figure:
    """The funnel's figure (what ``funnel_png`` saves), with an Agg canvas attached.

    Its one axes holds one bar patch per stage, in order, and one label text per bar.
    """
    font = font if font is not None else find_cjk_font(None)
    height_px = BASE_HEIGHT_PX + STAGE_HEIGHT_PX * len(stages)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH_PX / DPI, height_px / DPI), dpi=DPI, facecolor="white")
    FigureCanvasAgg(figure)  # attaches itself: figure.canvas
    axes = figure.add_axes((0.0, 0.0, 1.0, 1.0))

    figure.text(
        LEFT_PAD_PX / WIDTH_PX,
        1 - 30 / height_px,
        title,
        ha="left",
        va="center",
        color=TEXT_COLOR,
        fontproperties=_font(font, 15, bold=True),
    )
    if not stages:
        axes.set_axis_off()
        axes.text(
            0.5,
            (BOTTOM_PX + (height_px - HEADER_PX - BOTTOM_PX) / 2) / height_px,
            words.empty,
            ha="center",
            va="center",
            color=MUTED_COLOR,
            transform=figure.transFigure,
            fontproperties=_font(font, 14),
        )
        return figure

    total = FunnelStage(
        "", sum(stage.count for stage in stages), sum((stage.value for stage in stages), Decimal(0))
    )
    figure.text(
        LEFT_PAD_PX / WIDTH_PX,
        1 - 60 / height_px,
        words.total(words.stage(total, currency)),
        ha="left",
        va="center",
        color=MUTED_COLOR,
        fontproperties=_font(font, 12),
    )
    _draw_bars(axes, stages, currency, font, height_px, words)
    return figure


def _draw_bars(
    axes: Axes,
    stages: Sequence[FunnelStage],
    currency: str,
    font: Path | None,
    height_px: int,
    words: ChartWords,
) -> None:
    values = [float(stage.value) for stage in stages]
    lengths = values if any(values) else [float(stage.count) for stage in stages]
    lengths = [max(length, 0.0) for length in lengths]
    positions = list(range(len(stages)))

    # Stage names left of the axes; the axes start where the widest name ends.
    names_px = _name_axis(axes, positions, [stage.name for stage in stages], font)
    axes.spines["left"].set_bounds(-0.5, len(stages) - 0.5)
    left_px = min(LEFT_PAD_PX + names_px + LABEL_GAP_PX, WIDTH_PX * 0.4)
    axes_width_px = WIDTH_PX - left_px - RIGHT_PAD_PX
    axes.set_position(
        (
            left_px / WIDTH_PX,
            BOTTOM_PX / height_px,
            axes_width_px / WIDTH_PX,
            (height_px - HEADER_PX - BOTTOM_PX) / height_px,
        )
    )

    bars = axes.barh(positions, lengths, height=BAR_HEIGHT, color=BAR_COLOR)
    label_font = _font(font, 11)
    labels = axes.bar_label(
        bars,
        labels=[words.stage(stage, currency) for stage in stages],
        padding=LABEL_GAP_PX * 72 / DPI,  # points
        color=TEXT_COLOR,
        fontproperties=label_font,
    )

    # The x range is set so that every bar's label ends inside the axes: for a bar of length L
    # and a label w px wide, L / x_max * axes_width + gap + w <= axes_width.
    x_max = max(lengths) or 1.0
    for length, label in zip(lengths, labels, strict=True):
        room_px = axes_width_px - LABEL_GAP_PX - _width_px(label)
        if length > 0:
            x_max = max(x_max, length * axes_width_px / max(room_px, axes_width_px * 0.2))
    axes.set_xlim(0, x_max)
    # Every stage gets a 60 px slot whatever the count: pad the y range by the fixed margins.
    slots = (height_px - HEADER_PX - BOTTOM_PX) / STAGE_HEIGHT_PX
    padding = (slots - len(stages)) / 2
    axes.set_ylim(len(stages) - 0.5 + padding, -0.5 - padding)  # first stage on top


def _font(font: Path | None, size: float, *, bold: bool = False) -> FontProperties:
    from matplotlib.font_manager import FontProperties

    weight = "bold" if bold else "normal"  # a font file has one weight: bold then is its own
    if font is None:
        return FontProperties(size=size, weight=weight)
    return FontProperties(fname=str(font), size=size, weight=weight)


def _short(name: str) -> str:
    return name if len(name) <= MAX_NAME_CHARS else name[: MAX_NAME_CHARS - 1] + "…"


def _width_px(text: Text) -> float:
    """The text's width in pixels, laid out by the figure's (Agg) renderer."""
    return float(text.get_window_extent().width)


def _name_axis(
    axes: Axes, positions: Sequence[float], names: Sequence[str], font: Path | None
) -> float:
    """Stage names down the left of a bar chart, no other axis or frame but a light left line;
    returns the widest name's width in pixels."""
    axes.set_yticks(list(positions), [_short(name) for name in names])
    name_font = _font(font, 12)
    for tick_label in axes.get_yticklabels():
        tick_label.set_fontproperties(name_font)
        tick_label.set_color(TEXT_COLOR)
    axes.tick_params(axis="y", length=0, pad=LABEL_GAP_PX)
    axes.tick_params(axis="x", bottom=False, labelbottom=False)
    for spine in ("top", "right", "bottom"):
        axes.spines[spine].set_visible(False)
    axes.spines["left"].set_color("#BBBBBB")
    return max(_width_px(label) for label in axes.get_yticklabels())


# -- the /funnel chart: open deals per stage and the period's forecast ------------------------

WEIGHTED_COLOR = "#1F3A68"  # the probability-weighted part, drawn over the full value
FORECAST_COLOR = "#55A868"
FORECAST_WEIGHTED_COLOR = "#2D6A3E"
PIPELINE_GAP_SLOTS = 0.6  # air between the stages and the forecast bar, in stage slots


@dataclass(frozen=True)
class PipelineBar:
    """One bar of the /funnel chart: a stage's open deals, or the forecast (last)."""

    name: str
    count: int
    value: Decimal
    weighted: Decimal


@dataclass(frozen=True)
class PipelineChart:
    """The PNG and what it drew: one bar per stage then the forecast bar, each with the numbers
    its label shows (the bars' lengths are these values, read back from the figure)."""

    png: bytes
    bars: list[PipelineBar]


@dataclass(frozen=True)
class PipelineWords:
    """The /funnel chart's words in the reader's language."""

    title: str
    subtitle: str  # e.g. "Weighted by stage probability · USD"
    label: Callable[[PipelineBar], str]  # beside each bar


def pipeline_chart(
    stages: Sequence[PipelineBar],
    forecast: PipelineBar,
    *,
    words: PipelineWords,
    font: Path | None = None,
) -> PipelineChart:
    """Open deals per stage (full value, and its weighted part drawn darker over it) and one
    last bar for the forecast of the period, as PNG bytes with the figures drawn."""
    font = font if font is not None else find_cjk_font(None)
    bars = [*stages, forecast]
    height_px = BASE_HEIGHT_PX + STAGE_HEIGHT_PX * len(bars)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH_PX / DPI, height_px / DPI), dpi=DPI, facecolor="white")
    FigureCanvasAgg(figure)
    axes = figure.add_axes((0.0, 0.0, 1.0, 1.0))
    figure.text(
        LEFT_PAD_PX / WIDTH_PX,
        1 - 30 / height_px,
        words.title,
        ha="left",
        va="center",
        color=TEXT_COLOR,
        fontproperties=_font(font, 15, bold=True),
    )
    figure.text(
        LEFT_PAD_PX / WIDTH_PX,
        1 - 60 / height_px,
        words.subtitle,
        ha="left",
        va="center",
        color=MUTED_COLOR,
        fontproperties=_font(font, 12),
    )
    positions = [float(index) for index in range(len(stages))]
    positions.append(len(stages) + PIPELINE_GAP_SLOTS)
    by_value = any(bar.value for bar in bars)
    lengths = [float(bar.value) if by_value else float(bar.count) for bar in bars]
    weighted = [float(bar.weighted) if by_value else 0.0 for bar in bars]

    names_px = _name_axis(axes, positions, [bar.name for bar in bars], font)
    left_px = min(LEFT_PAD_PX + names_px + LABEL_GAP_PX, WIDTH_PX * 0.4)
    axes_width_px = WIDTH_PX - left_px - RIGHT_PAD_PX
    axes.set_position(
        (
            left_px / WIDTH_PX,
            BOTTOM_PX / height_px,
            axes_width_px / WIDTH_PX,
            (height_px - HEADER_PX - BOTTOM_PX) / height_px,
        )
    )
    colors = [BAR_COLOR] * len(stages) + [FORECAST_COLOR]
    dark = [WEIGHTED_COLOR] * len(stages) + [FORECAST_WEIGHTED_COLOR]
    full = axes.barh(positions, lengths, height=BAR_HEIGHT, color=colors)
    axes.barh(positions, weighted, height=BAR_HEIGHT, color=dark)
    labels = axes.bar_label(
        full,
        labels=[words.label(bar) for bar in bars],
        padding=LABEL_GAP_PX * 72 / DPI,
        color=TEXT_COLOR,
        fontproperties=_font(font, 11),
    )
    x_max = max(lengths) or 1.0
    for length, label in zip(lengths, labels, strict=True):
        room_px = axes_width_px - LABEL_GAP_PX - _width_px(label)
        if length > 0:
            x_max = max(x_max, length * axes_width_px / max(room_px, axes_width_px * 0.2))
    axes.set_xlim(0, x_max)
    axes.set_ylim(positions[-1] + 0.8, -0.8)  # the first stage on top, the forecast last

    # What was drawn, read back from the figure: the test of a chart is its numbers.
    drawn = [patch.get_width() for patch in full.patches]
    assert drawn == lengths, (drawn, lengths)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return PipelineChart(png=buffer.getvalue(), bars=list(bars))
