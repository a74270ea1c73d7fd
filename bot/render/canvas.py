"""A small two-pass drawing helper for the receipt and 收票 images: place everything first (so the height is
known and every printed string is on record), then draw once onto a canvas of exactly that height."""
from __future__ import annotations

import io
from typing import Callable

from PIL import Image, ImageDraw, ImageFont

from bot.render.fonts import Fonts, advances, font

INK = (34, 34, 34)
MUTED = (120, 120, 120)
RULE = (70, 70, 70)
LIGHT = (214, 214, 214)
SHADE = (243, 244, 246)
RED = (200, 30, 38)
GREEN = (36, 150, 82)
ORANGE = (226, 128, 30)
WHITE = (255, 255, 255)

# Characters that may not start a line (Chinese line-breaking rule): they hang at the end of the previous one.
NO_LINE_START = frozenset("，。、；：？！）》」』”’%,.;:?!)]")

Op = Callable[[Image.Image, ImageDraw.ImageDraw], None]


class Sheet:
    """A fixed-width page whose height grows as content is placed at the cursor `y`."""

    def __init__(self, fonts: Fonts, width: int = 750, margin: int = 40) -> None:
        self.fonts, self.width, self.margin = fonts, width, margin
        self.y = margin
        self.ops: list[Op] = []
        self.texts: list[tuple[str, ImageFont.FreeTypeFont]] = []  # every string printed, with its font

    @property
    def inner(self) -> int:
        return self.width - 2 * self.margin

    def font(self, size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
        return font(self.fonts, size, bold)

    def text(self, xy: tuple[float, float], text: str, size: int, bold: bool = False, fill=INK,
             anchor: str = "la") -> None:
        """Queue one line of text; anchor as in Pillow ('la' top-left, 'ra' top-right, 'mm' centre...)."""
        if not text:
            return
        f = self.font(size, bold)
        self.texts.append((text, f))
        self.ops.append(lambda _im, d: d.text(xy, text, font=f, fill=fill, anchor=anchor))

    def line(self, xy: list[tuple[float, float]], fill=RULE, width: int = 1) -> None:
        self.ops.append(lambda _im, d: d.line(xy, fill=fill, width=width))

    def rect(self, box, fill=None, outline=None, width: int = 1, radius: int = 0) -> None:
        self.ops.append(lambda _im, d: d.rounded_rectangle(box, radius=radius, fill=fill, outline=outline,
                                                           width=width))

    def op(self, fn: Op) -> None:
        """Queue any drawing step (stamps, icons)."""
        self.ops.append(fn)

    def wrap(self, text: str, size: int, max_width: float, bold: bool = False) -> list[str]:
        """Split text into lines no wider than max_width; Latin words break at spaces, Chinese anywhere."""
        f = self.font(size, bold)
        if "\n" not in text and f.getlength(text) <= max_width:
            return [text]  # the common case: one measurement, no per-character work
        known = advances(f)
        lines: list[str] = []
        for para in text.split("\n"):
            line, width = "", 0.0
            for ch in para:
                step = known[ch] if ch in known else known.setdefault(ch, f.getlength(ch))
                if not line or ch in NO_LINE_START or width + step <= max_width:
                    line, width = line + ch, width + step
                    continue
                cut = line.rfind(" ") if ch.isascii() and ch != " " and line[-1].isascii() else -1
                lines.append(line[:cut] if cut > 0 else line)
                line = (line[cut + 1:] + ch) if cut > 0 else ch.strip()
                width = sum(known[c] if c in known else known.setdefault(c, f.getlength(c)) for c in line)
            lines.append(line)
        return lines

    def paragraph(self, x: float, text: str, size: int, max_width: float, bold: bool = False, fill=INK,
                  leading: float = 1.45, align: str = "left") -> None:
        """Wrapped text starting at the cursor; the cursor moves below it."""
        step = round(size * leading)
        anchor, x = {"left": ("la", x), "center": ("ma", x + max_width / 2), "right": ("ra", x + max_width)}[align]
        for line in self.wrap(text, size, max_width, bold):
            self.text((x, self.y), line, size, bold, fill, anchor)
            self.y += step

    def gap(self, pixels: int) -> None:
        self.y += pixels

    def image(self) -> Image.Image:
        """Draw every queued step onto a white canvas as tall as the content plus the bottom margin."""
        image = Image.new("RGB", (self.width, self.y + self.margin), WHITE)
        draw = ImageDraw.Draw(image)
        for step in self.ops:
            step(image, draw)
        return image

    def to_png(self) -> bytes:
        """The page as PNG bytes."""
        return encode_png(self.image())


# PNG settings measured in bench/render.py: a 64-colour palette keeps anti-aliased text smooth, is faster to
# write than RGB and about 2.5x smaller; zlib level 1 is the fastest and still far under WeCom's limits.
PNG_COLOURS = 64
PNG_COMPRESS_LEVEL = 1


def encode_png(image: Image.Image) -> bytes:
    """Quantise to a small palette and save as PNG."""
    small = image.quantize(colors=PNG_COLOURS, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    buf = io.BytesIO()
    small.save(buf, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    return buf.getvalue()
