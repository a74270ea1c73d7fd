"""Rendering benchmark: render_receipt / render_collection against a minimal Pillow script, in one run.

    .venv/bin/python bench/render.py [--n 40] [--rounds 3]

The baseline draws exactly the strings the product prints (same font files, faces and sizes, loaded once before
timing), one per line on a white canvas of the same size, and encodes it with the same PNG settings
(bot.render.canvas.encode_png). So the ratio is the cost of the layout (measuring, wrapping, tables, rules,
the stamp and the ✓/✗ marks) on top of drawing the text and writing the PNG. Product and baseline alternate call by call.
Also printed: what the optimisations are worth (PNG settings on the same image; no font cache).
"""
from __future__ import annotations

import argparse
import io
import platform
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import openpyxl  # noqa: E402
import PIL  # noqa: E402
from PIL import Image, ImageDraw, ImageFont, features  # noqa: E402

from bot.config.settings import RenderConfig  # noqa: E402
from bot.render import fonts as render_fonts  # noqa: E402
from bot.render.canvas import Sheet, encode_png  # noqa: E402
from bot.render.fonts import load_fonts  # noqa: E402
from bot.render.images import (  # noqa: E402
    CollectionData,
    CollectionLine,
    ReceiptData,
    ReceiptLine,
    collection_sheet,
    receipt_sheet,
    render_collection,
    render_receipt,
)

RECEIPT = ReceiptData(
    agency="上海示例财税代理有限公司", receipt_no="2026-000123", paid_on=date(2026, 3, 5),
    payer="华夏科技（上海）有限公司", method="银行转账", payee="王刚",
    lines=(ReceiptLine("代理记账费", "2026-01 至 2026-06", 180000),
           ReceiptLine("工商年报代办及税务登记变更服务费（含材料打印）", "2026-03", 50050),
           ReceiptLine("Annual audit support for foreign-invested enterprise", "2026", 1000001)),
    amount_fen=1230051, note="已开具增值税普通发票，发票号码 12345678；如有疑问请联系客户经理李小梅。")
COLLECTION = CollectionData(
    agency="上海示例财税代理有限公司", client="华夏科技（上海）有限公司", period="2026-03", status="收票中",
    lines=(CollectionLine("进项发票", 23, True), CollectionLine("销项发票", 41, True, "含 3 张红字发票"),
           CollectionLine("费用票", 0, False, "客户说月底前寄出"), CollectionLine("银行回单", 12, True),
           CollectionLine("工资表", 0, False)), updated="2026-03-12 15:30 李小梅")


def baseline(sheet_of, data, fonts):
    """A minimal script for the same output: the same strings and fonts, one per line, same canvas and PNG."""
    sheet = sheet_of(data, fonts)
    size = (sheet.width, sheet.y + sheet.margin)
    own = {}
    texts = []
    for text, f in sheet.texts:
        key = (f.path, f.index, f.size)
        own.setdefault(key, ImageFont.truetype(f.path, f.size, index=f.index))
        texts.append((text, own[key]))

    def run() -> bytes:
        image = Image.new("RGB", size, "white")
        draw = ImageDraw.Draw(image)
        y = 20
        for text, f in texts:
            draw.text((40, y), text, font=f, fill=(34, 34, 34))
            y = (y + f.size + 8) % (size[1] - 40)
        return encode_png(image)
    return run


def timed(fn, n: int) -> float:
    """Median milliseconds per call over n calls."""
    fn()
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def compare(name: str, product, minimal, n: int, rounds: int) -> float:
    """Product and baseline alternate call by call, so machine load hits both alike; medians compared."""
    product(), minimal()
    ours, base = [], []
    for _ in range(n * rounds):
        for fn, samples in ((product, ours), (minimal, base)):
            start = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - start) * 1000)
    size_ours, size_base = len(product()) / 1024, len(minimal()) / 1024
    ratio = statistics.median(ours) / statistics.median(base)
    print(f"{name:<11} product {statistics.median(ours):6.1f} ms {size_ours:6.1f} KB | minimal "
          f"{statistics.median(base):6.1f} ms {size_base:6.1f} KB | ratio {ratio:.2f}x "
          f"(fastest {min(ours):.1f} / {min(base):.1f} ms = {min(ours) / min(base):.2f}x)")
    return ratio


def png_settings(fonts, n: int) -> None:
    """The same receipt image encoded different ways."""
    image = receipt_sheet(RECEIPT, fonts).image()

    def save(img, **kw):
        buf = io.BytesIO()
        img.save(buf, format="PNG", **kw)
        return buf.getvalue()
    variants = {
        "RGB, compress_level=6 (Pillow default)": lambda: save(image, compress_level=6),
        "RGB, compress_level=1": lambda: save(image, compress_level=1),
        "RGB, optimize=True": lambda: save(image, optimize=True),
        "64-colour palette (FASTOCTREE), level 1 [chosen]": lambda: encode_png(image),
        "64-colour palette (FASTOCTREE), level 6": lambda: save(_palette(image, 64), compress_level=6),
        "64-colour palette (FASTOCTREE), level 9": lambda: save(_palette(image, 64), compress_level=9),
        "256-colour palette (MEDIANCUT), level 6": lambda: save(
            image.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE), compress_level=6),
    }
    print(f"\nPNG settings on the receipt image ({image.width}x{image.height}):")
    for label, fn in variants.items():
        print(f"  {label:<50} {timed(fn, n):6.1f} ms {len(fn()) / 1024:6.1f} KB")


def _palette(image, colours):
    return image.quantize(colours, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)


def caches(fonts, n: int) -> None:
    """Where a receipt's time goes, and what the font and advance-width caches are worth."""
    sheet = receipt_sheet(RECEIPT, fonts)
    image = sheet.image()
    print(f"\nreceipt split: layout {timed(lambda: receipt_sheet(RECEIPT, fonts), n):.1f} ms, "
          f"draw {timed(sheet.image, n):.1f} ms, PNG {timed(lambda: encode_png(image), n):.1f} ms")

    def no_font_cache():
        render_fonts._local.__dict__.clear()  # every render loads its fonts (and measures characters) again
        return receipt_sheet(RECEIPT, fonts)

    def naive_wrap(self, text, size, max_width, bold=False):
        f, lines, line = self.font(size, bold), [], ""  # measure the whole line again for every character
        for ch in text:
            if line and f.getlength(line + ch) > max_width:
                lines.append(line)
                line = ""
            line += ch
        return lines + [line]
    print(f"layout with cold caches (fonts loaded, characters measured per render): "
          f"{timed(no_font_cache, n):.1f} ms")
    cached = Sheet.wrap
    Sheet.wrap = naive_wrap
    try:
        print(f"layout with a naive wrap (getlength of the growing line per character): "
              f"{timed(lambda: receipt_sheet(RECEIPT, fonts), n):.1f} ms")
    finally:
        Sheet.wrap = cached


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40, help="renders per variant = n x rounds")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    fonts = load_fonts(RenderConfig())
    print(f"Python {platform.python_version()}, Pillow {PIL.__version__} (FreeType {features.version('freetype2')}, "
          f"raqm {features.version('raqm') or 'no'}), openpyxl {openpyxl.__version__}; font {fonts.regular}"
          f"#{fonts.regular_index}; n={args.n}, rounds={args.rounds}, medians of alternating calls\n")
    compare("receipt", lambda: render_receipt(RECEIPT, fonts), baseline(receipt_sheet, RECEIPT, fonts),
            args.n, args.rounds)
    compare("collection", lambda: render_collection(COLLECTION, fonts),
            baseline(collection_sheet, COLLECTION, fonts), args.n, args.rounds)
    png_settings(fonts, max(args.n // 4, 5))
    caches(fonts, max(args.n // 2, 5))


if __name__ == "__main__":
    main()
