"""Pillow images (receipts, 收票 detail) and XLSX reports: pure functions, data in, bytes out.

Handlers call them off the event loop (`await asyncio.to_thread(render_receipt, data, fonts)`); the fonts are
found once at start-up (bot/app.py puts them in app[keys.FONTS]).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from PIL import Image, ImageDraw

from bot.money import format_fen, rmb_upper
from bot.render.canvas import GREEN, INK, LIGHT, MUTED, ORANGE, RED, RULE, SHADE, WHITE, Sheet
from bot.render.fonts import Fonts
from bot.render.xlsx import render_reports_xlsx

__all__ = ["FontError", "Fonts", "load_fonts", "missing_glyphs", "ReceiptLine", "ReceiptData", "CollectionLine",
           "CollectionData", "render_receipt", "render_collection", "render_reports_xlsx", "receipt_sheet",
           "collection_sheet"]

WIDTH = 750  # WeCom shows images about 375 pt wide: 750 px is sharp on 2x screens
BODY = 24
SMALL = 20


@dataclass(frozen=True)
class ReceiptLine:
    """One charge on a receipt: ("代理记账费", "2026-01 至 2026-06", 180000)."""
    item: str
    periods: str
    amount_fen: int


@dataclass(frozen=True)
class ReceiptData:
    """Everything printed on a 收据."""
    agency: str
    receipt_no: str
    paid_on: date
    payer: str
    method: str
    payee: str
    lines: tuple[ReceiptLine, ...]
    amount_fen: int
    note: str = ""
    account: str = ""  # 收款账户
    voided: bool = False  # 作废: stamped 作废 with the reason instead of 收讫
    void_reason: str = ""


@dataclass(frozen=True)
class CollectionLine:
    """One kind of document in a 收票 record (label e.g. 进项发票)."""
    label: str
    count: int
    received: bool
    note: str = ""


@dataclass(frozen=True)
class CollectionData:
    """A client's 收票 record for one period; status e.g. 收票中 / 已完成."""
    agency: str
    client: str
    period: str
    status: str
    lines: tuple[CollectionLine, ...]
    updated: str = ""


def render_receipt(data: ReceiptData, fonts: Fonts) -> bytes:
    """The 收据 as PNG bytes."""
    return receipt_sheet(data, fonts).to_png()


def render_collection(data: CollectionData, fonts: Fonts) -> bytes:
    """The 收票 detail as PNG bytes."""
    return collection_sheet(data, fonts).to_png()


# --- receipt ------------------------------------------------------------------------------------------

def receipt_sheet(data: ReceiptData, fonts: Fonts) -> Sheet:
    """The laid-out receipt (its .texts lists every string printed, for the no-tofu check)."""
    s = Sheet(fonts, WIDTH)
    s.paragraph(s.margin, data.agency, 34, s.inner, bold=True, align="center", leading=1.35)
    s.gap(4)
    s.text((WIDTH / 2, s.y), "收　据", 44, bold=True, anchor="ma")
    s.gap(64)
    s.line([(WIDTH / 2 - 90, s.y), (WIDTH / 2 + 90, s.y)], RULE, 2)
    s.line([(WIDTH / 2 - 90, s.y + 5), (WIDTH / 2 + 90, s.y + 5)], RULE, 1)
    s.gap(26)
    s.text((s.margin, s.y), f"No. {data.receipt_no}", BODY, fill=RED)
    s.text((WIDTH - s.margin, s.y), f"日期：{data.paid_on.year}年{data.paid_on.month:02d}月{data.paid_on.day:02d}日",
           BODY, anchor="ra")
    s.gap(46)
    s.paragraph(s.margin, f"付款单位：{data.payer}", 26, s.inner)
    s.gap(10)
    _receipt_table(s, data)
    s.gap(24)
    payee_y = s.y
    s.text((s.margin, s.y), f"付款方式：{data.method}", BODY)
    s.text((s.margin, s.y + 46), f"收款账户：{data.account or '—'}", BODY)
    s.text((s.margin, s.y + 92), f"收款人：{data.payee}", BODY)
    s.gap(140)  # a band for the stamp, so it covers no figures and no note
    s.paragraph(s.margin, f"备注：{data.note or '—'}", SMALL + 2, s.inner, fill=MUTED)
    if data.voided:
        s.gap(8)
        s.paragraph(s.margin, f"本收据已作废，作废原因：{data.void_reason or '未注明'}", BODY, s.inner, bold=True,
                    fill=RED)
    s.gap(16)
    s.line([(s.margin, s.y), (WIDTH - s.margin, s.y)], LIGHT, 1)
    s.gap(14)
    s.paragraph(s.margin, "本收据为收款凭证，请妥善保存；金额以大写为准。", SMALL - 2, s.inner, fill=MUTED,
                align="center")
    if data.voided:
        _stamp(s, (WIDTH - s.margin - 150, payee_y + 56), "作废", "VOID", tilt=-10)
    else:
        _stamp(s, (WIDTH - s.margin - 150, payee_y + 56), "收讫", data.paid_on.isoformat())
    return s


def _receipt_columns(s: Sheet, data: ReceiptData) -> list[int]:
    """x of each column rule: amounts and periods get the width they need (never wrapped), items the rest."""
    bold = s.font(BODY, bold=True)
    amount = max(bold.getlength(format_fen(n)) for n in [data.amount_fen, *(x.amount_fen for x in data.lines)])
    periods = max([bold.getlength("服务期间"), *(s.font(BODY).getlength(x.periods) for x in data.lines)])
    amount_w = max(170, int(amount) + 28)
    periods_w = min(max(170, int(periods) + 28), 250)
    x0 = s.margin
    return [x0, WIDTH - s.margin - amount_w - periods_w, WIDTH - s.margin - amount_w, WIDTH - s.margin]


def _receipt_table(s: Sheet, data: ReceiptData) -> None:
    top, xs = s.y, _receipt_columns(s, data)
    x0 = xs[0]
    _table_row(s, xs, ("项目", "服务期间", "金额（元）"), bold=True, shade=True)
    for line in data.lines or (ReceiptLine("—", "", 0),):
        _table_row(s, xs, (line.item, line.periods, format_fen(line.amount_fen, symbol="")))
    _table_row(s, xs, ("合计（小写）", "", format_fen(data.amount_fen)), bold=True)
    # 大写 spans the periods and amount columns, so only the first column rule runs through this row.
    row_top = s.y
    words = s.wrap(f"人民币{rmb_upper(data.amount_fen)}", BODY, xs[3] - xs[1] - 24, bold=True)
    height = len(words) * 34 + 20
    s.text((xs[0] + 12, row_top + height / 2), "合计（大写）", BODY, bold=True, anchor="lm")
    for n, word in enumerate(words):
        s.text((xs[1] + 12, row_top + 10 + n * 34), word, BODY, bold=True)
    s.y += height
    s.line([(xs[1], row_top), (xs[1], s.y)], RULE, 1)
    s.line([(xs[2], top), (xs[2], row_top)], RULE, 1)
    s.rect((x0, top, xs[3], s.y), outline=RULE, width=2)


def _table_row(s: Sheet, xs: list[int], cells: tuple[str, ...], bold: bool = False, shade: bool = False) -> None:
    """A row of wrapped cells (the last one right-aligned) with rules below and between the cells."""
    top, pad, step = s.y, 12, 34
    wrapped = [s.wrap(text, BODY, xs[i + 1] - xs[i] - 2 * pad, bold) for i, text in enumerate(cells)]
    height = max(len(w) for w in wrapped) * step + 20
    if shade:
        s.rect((xs[0], top, xs[-1], top + height), fill=SHADE)
    for i, lines in enumerate(wrapped):
        last = i == len(cells) - 1
        x, anchor = (xs[i + 1] - pad, "ra") if last else (xs[i] + pad, "la")
        first = top + (height - len(lines) * step) / 2 + 4
        for n, text in enumerate(lines):
            s.text((x, first + n * step), text, BODY, bold, INK, anchor)
    for x in xs[1:-1]:
        s.line([(x, top), (x, top + height)], RULE, 1)
    s.y = top + height
    s.line([(xs[0], s.y), (xs[-1], s.y)], RULE, 1)


def _stamp(s: Sheet, centre: tuple[float, float], word: str, under: str, tilt: int = 14) -> None:
    """A red oval mark (收讫 with the date, or 作废), tilted like a hand stamp, printed over the text beneath it."""
    big, small = s.font(46, bold=True), s.font(18, bold=True)
    s.texts += [(word, big), (under, small)]

    def draw(image: Image.Image, _draw: ImageDraw.ImageDraw) -> None:
        layer = Image.new("L", (230, 150), 0)
        d = ImageDraw.Draw(layer)
        d.ellipse((4, 4, 225, 145), outline=255, width=5)
        d.ellipse((14, 14, 215, 135), outline=255, width=1)
        d.text((115, 66), word, font=big, fill=255, anchor="mm")
        d.text((115, 110), under, font=small, fill=255, anchor="mm")
        mask = layer.rotate(tilt, resample=Image.Resampling.BICUBIC, expand=True).point(lambda v: v * 4 // 5)
        x, y = round(centre[0] - mask.width / 2), round(centre[1] - mask.height / 2)
        image.paste(RED, (x, y, x + mask.width, y + mask.height), mask)

    s.op(draw)


# --- 收票 detail ------------------------------------------------------------------------------------

STATUS_COLOURS = {"已完成": GREEN, "收票中": ORANGE}
COLLECTION_COLUMNS = (190, 110, 150, 220)  # kind, count, received?, note


def collection_sheet(data: CollectionData, fonts: Fonts) -> Sheet:
    """The laid-out 收票 detail (its .texts lists every string printed)."""
    s = Sheet(fonts, WIDTH)
    s.paragraph(s.margin, data.agency, SMALL + 2, s.inner, fill=MUTED, align="center")
    s.gap(6)
    s.text((WIDTH / 2, s.y), "收票明细", 40, bold=True, anchor="ma")
    s.gap(72)
    s.paragraph(s.margin, f"客户：{data.client}", 26, s.inner - 150)
    s.text((s.margin, s.y), f"期间：{data.period}", 26)
    _badge(s, (WIDTH - s.margin, s.y - 20), data.status)
    s.gap(54)
    _collection_table(s, data.lines)
    s.gap(28)
    _summary(s, data.lines)
    if data.updated:
        s.gap(10)
        s.paragraph(s.margin, f"更新于 {data.updated}", SMALL, s.inner, fill=MUTED)
    return s


def _badge(s: Sheet, right_middle: tuple[float, float], status: str) -> None:
    width = s.font(BODY, True).getlength(status) + 36
    x1, y = right_middle
    s.rect((x1 - width, y - 24, x1, y + 24), fill=STATUS_COLOURS.get(status, MUTED), radius=24)
    s.text((x1 - width / 2, y), status, BODY, bold=True, fill=WHITE, anchor="mm")


def _collection_table(s: Sheet, lines: tuple[CollectionLine, ...]) -> None:
    x0, pad, step = s.margin, 14, 34
    xs = [x0]
    for w in COLLECTION_COLUMNS:
        xs.append(xs[-1] + w)
    _header_row(s, xs, ("单据类型", "数量", "状态", "备注"))
    for n, line in enumerate(lines):
        note = s.wrap(line.note or "—", BODY, COLLECTION_COLUMNS[3] - 2 * pad)
        height = max(len(note) * step + 20, 58)
        row_top, mid = s.y, s.y + height / 2
        if not line.received:
            s.rect((xs[0], row_top, xs[-1], row_top + height), fill=(253, 238, 238))
        s.text((xs[0] + pad, mid), line.label, BODY, anchor="lm")
        s.text((xs[2] - pad, mid), f"{line.count} 张", BODY, anchor="rm")
        _mark(s, (xs[2] + pad + 14, mid), line.received)
        s.text((xs[2] + pad + 40, mid), "已收" if line.received else "未收", BODY,
               fill=GREEN if line.received else RED, anchor="lm")
        for i, text in enumerate(note):
            s.text((xs[3] + pad, row_top + (height - len(note) * step) / 2 + 4 + i * step), text, BODY,
                   fill=MUTED if text == "—" else INK)
        s.y += height
        s.line([(xs[0], s.y), (xs[-1], s.y)], LIGHT if n < len(lines) - 1 else RULE, 1)
    if not lines:
        s.text((WIDTH / 2, s.y + 29), "本期没有收票项目", BODY, fill=MUTED, anchor="mm")
        s.y += 58
        s.line([(xs[0], s.y), (xs[-1], s.y)], RULE, 1)


def _header_row(s: Sheet, xs: list[int], titles: tuple[str, ...]) -> None:
    s.rect((xs[0], s.y, xs[-1], s.y + 52), fill=SHADE)
    s.line([(xs[0], s.y), (xs[-1], s.y)], RULE, 2)
    for i, title in enumerate(titles):
        s.text((xs[i] + 14, s.y + 26), title, BODY, bold=True, anchor="lm")
    s.y += 52
    s.line([(xs[0], s.y), (xs[-1], s.y)], RULE, 1)


def _mark(s: Sheet, centre: tuple[float, float], received: bool) -> None:
    """A drawn ✓ (green) or ✗ (red): emoji fonts are not needed and never turn into tofu."""
    x, y = centre
    if received:
        s.line([(x - 11, y), (x - 3, y + 9), (x + 12, y - 10)], GREEN, 5)
    else:
        s.line([(x - 9, y - 9), (x + 9, y + 9)], RED, 5)
        s.line([(x - 9, y + 9), (x + 9, y - 9)], RED, 5)


def _summary(s: Sheet, lines: tuple[CollectionLine, ...]) -> None:
    received = [line for line in lines if line.received]
    percent = len(received) * 100 // len(lines) if lines else 0
    documents = sum(line.count for line in received)
    s.text((s.margin, s.y), f"已收 {len(received)} 项（{documents} 张）", 26, bold=True, fill=GREEN)
    s.text((s.margin + 290, s.y), f"缺 {len(lines) - len(received)} 项", 26, bold=True,
           fill=RED if len(received) < len(lines) else MUTED)
    s.text((WIDTH - s.margin, s.y), f"完成度 {percent}%", 26, bold=True, anchor="ra")
    s.gap(50)
    s.rect((s.margin, s.y, WIDTH - s.margin, s.y + 18), fill=SHADE, radius=9)
    if percent:
        s.rect((s.margin, s.y, s.margin + s.inner * percent // 100, s.y + 18), fill=GREEN, radius=9)
    s.gap(30)
