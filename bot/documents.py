"""Files the bot sends: the quote PDF, rendered from ``templates/<lang>/quotes/document.html``.

Chinese text needs a CJK font, and no PyPI package ships one: the font is found at start (the
PDF_FONT setting, then the system's fonts, e.g. Debian's fonts-wqy-microhei). Without one the
log says so once, and characters the built-in font lacks print as "?".
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.rendering import Renderer

if TYPE_CHECKING:  # fpdf2 is imported when a PDF is made, not at the bot's start
    from fpdf import FPDF

logger = logging.getLogger(__name__)

SYSTEM_CJK_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)


def find_cjk_font(configured: str | None) -> Path | None:
    """The font to use: the configured file, else the first CJK font the system has."""
    candidates = [configured] if configured else list(SYSTEM_CJK_FONTS)
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


class Documents:
    def __init__(self, renderer: Renderer, font: Path | None) -> None:
        self.renderer = renderer
        self.font = font
        if font is None:
            logger.warning(
                "no CJK font found for PDFs (set PDF_FONT, or install fonts-wqy-microhei): "
                "Chinese text in quotes will print as '?'"
            )

    def _pdf(self) -> tuple[FPDF, str]:
        from fpdf import FPDF

        pdf = FPDF(format="A4")
        pdf.set_auto_page_break(auto=True, margin=15)
        family = "helvetica"
        if self.font is not None:
            family = "cjk"
            for style in ("", "B", "I"):
                pdf.add_font(family, style=style, fname=str(self.font))
        pdf.add_page()
        return pdf, family

    def render(self, language: str | None, template: str, **values: Any) -> bytes:
        """A PDF of the HTML template ``template`` (tables, headings, bold: fpdf2's HTML)."""
        html = self.renderer.template(language, f"{template}.html").render(**values)
        pdf, family = self._pdf()
        if self.font is None:
            html = html.encode("latin-1", errors="replace").decode("latin-1")
        pdf.write_html(html, font_family=family)
        return bytes(pdf.output())
