"""Thai PDF documents: fpdf2 with the Sarabun font (OFL, from the fontpkg-sarabun package) and HarfBuzz text
shaping (uharfbuzz), so that vowels above and below and tone marks sit on their consonants.

Thai is written without spaces between words, and fpdf2 breaks lines only at spaces and a few break characters:
`thai_breaks` puts a ZERO WIDTH SPACE (U+200B) between the words that pythainlp's dictionary tokenizer finds, so
that long Thai text wraps between words, never inside one (nor between a consonant and its marks)."""

import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import fontpkg_sarabun  # type: ignore[import-untyped]
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

FONT = "Sarabun"
FONT_FILES = fontpkg_sarabun.ROOT / "files"
ZWSP = "\u200b"


@lru_cache(maxsize=4096)
def thai_breaks(text: str) -> str:
    """`text` with U+200B between its Thai words (spaces and line breaks kept); text without Thai as it is."""
    if not any("\u0e00" <= ch <= "\u0e7f" for ch in text):
        return text
    from pythainlp.tokenize import word_tokenize  # loads its dictionary once, on the first Thai document

    lines = []
    for line in text.split("\n"):
        words = word_tokenize(line, engine="newmm", keep_whitespace=True)
        joined: list[str] = []
        for word in words:
            if joined and not word.isspace() and not joined[-1].isspace():
                joined.append(ZWSP)
            joined.append(word)
        lines.append("".join(joined))
    return "\n".join(lines)


class ThaiDocument(FPDF):
    """An A4 document in Sarabun with shaping on, a running footer (title and page n/N)."""

    def __init__(self, title: str, footer: str = "", orientation: str = "portrait") -> None:
        super().__init__(orientation=orientation, unit="mm", format="A4")
        self.add_font(FONT, "", str(FONT_FILES / "Sarabun-Regular.ttf"))
        self.add_font(FONT, "B", str(FONT_FILES / "Sarabun-Bold.ttf"))
        self.add_font(FONT, "I", str(FONT_FILES / "Sarabun-Italic.ttf"))
        self.set_text_shaping(True)
        self.set_font(FONT, size=12)
        self.set_title(title)
        self.set_author("สำนักงาน ก.พ.ร.")
        self.set_creator("OPDC clinic")
        self.set_lang("th")
        self.set_margins(18, 15, 18)
        self.set_auto_page_break(True, margin=16)
        self.footer_text = footer or title
        self.add_page()

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=9)
        self.set_text_color(110)
        self.cell(0, 5, f"{self.footer_text}  ·  {self.page_no()}/{{nb}}", align="R")
        self.set_text_color(0)

    def heading(self, text: str, size: float = 16) -> None:
        self.set_font(FONT, "B", size)
        self.multi_cell(0, size * 0.5, thai_breaks(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, size=12)
        self.ln(1)

    def paragraph(self, text: str, size: float = 12, height: float = 6) -> None:
        self.set_font(FONT, size=size)
        self.multi_cell(0, height, thai_breaks(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def pairs(self, rows: Iterable[tuple[str, str]], label_width: float = 45) -> None:
        """Label and value lines ('วันที่   2 ธ.ค. 2569')."""
        for label, value in rows:
            self.set_font(FONT, "B", 12)
            self.cell(label_width, 6.5, label)
            self.set_font(FONT, size=12)
            self.multi_cell(0, 6.5, thai_breaks(value) or "-", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def grid(self, headings: list[str], rows: Iterable[Iterable[str]], widths: tuple[float, ...],
             size: float = 10, align: Any = "LEFT") -> None:
        """A table with its heading repeated on each page; cells wrap between words."""
        self.set_font(FONT, size=size)
        style = FontFace(family=FONT, emphasis="BOLD", fill_color=(232, 238, 247))
        with self.table(col_widths=widths, width=min(sum(widths), self.epw), align="LEFT", text_align=align, line_height=size * 0.5, padding=1,
                        headings_style=style, first_row_as_headings=True) as table:
            heading = table.row()
            for text in headings:
                heading.cell(thai_breaks(text))
            for values in rows:
                row = table.row()
                for value in values:
                    row.cell(thai_breaks(value))

    def lines(self, headings: list[str], rows: Iterable[Iterable[str]], widths: tuple[float, ...],
              size: float = 9) -> None:
        """A long table of one-line rows (a list of sessions): each cell is shaped once and cut to its column with
        an ellipsis, where `grid` wraps every cell (and fpdf2's wrapping shapes a cell again for each character it
        tries, too slow for hundreds of rows). The heading is repeated at the top of each page."""
        height = size * 0.55

        def heading() -> None:
            self.set_font(FONT, "B", size)
            self.set_fill_color(232, 238, 247)
            for text, width in zip(headings, widths, strict=True):
                self.cell(width, height + 1, fit(self, text, width - 2), border=1, fill=True)
            self.ln(height + 1)
            self.set_font(FONT, size=size)

        heading()
        for values in rows:
            if self.will_page_break(height):
                self.add_page()
                heading()
            for text, width in zip(values, widths, strict=True):
                self.cell(width, height, fit(self, text, width - 2), border="B")
            self.ln(height)

    def output_to(self, target: Any) -> None:
        target.write(self.output())


LEADING_VOWELS = frozenset("เแโใไ")


def fit(document: FPDF, text: str, width: float) -> str:
    """`text` cut to `width` (mm) with an ellipsis, never between a Thai consonant and its marks or after a
    leading vowel."""
    if not text or document.get_string_width(text) <= width:
        return text
    ratio = width / document.get_string_width(text)
    cut = max(1, int(len(text) * ratio) - 1)
    while True:
        while cut > 1 and (unicodedata.category(text[cut]) == "Mn" or text[cut - 1] in LEADING_VOWELS
                           or text[cut] in "ะาำๅ"):
            cut -= 1
        shortened = text[:cut].rstrip() + "…"
        if cut <= 1 or document.get_string_width(shortened) <= width:
            return shortened
        cut -= 1
