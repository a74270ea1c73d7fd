"""Rendering: 人民币大写, receipt and 收票 images drawn with a real CJK font (no tofu), the reports workbook,
and start-up refusing to run without a font that can draw Chinese."""
from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from aiohttp.test_utils import TestServer
from PIL import Image, ImageChops, ImageFont

from bot import keys
from bot.app import create_app
from bot.config.settings import ConfigError, RenderConfig
from bot.money import rmb_upper
from bot.render import fonts as render_fonts
from bot.render.fonts import FontError, Fonts, load_fonts, missing_glyphs
from bot.render.images import (
    CollectionData,
    CollectionLine,
    ReceiptData,
    ReceiptLine,
    collection_sheet,
    receipt_sheet,
    render_collection,
    render_receipt,
    render_reports_xlsx,
)
from tests.conftest import AES_KEY, AGENT_ID, CORP_ID, SECRET, SERVE_ENV, TOKEN, make_config

ROOT = Path(__file__).resolve().parent.parent
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
MAX_PNG = 300 * 1024


# ---- 人民币大写 -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fen, upper", [
    (0, "零元整"),
    (1, "壹分"),
    (10, "壹角整"),                                      # ends in 角: 整 (第五十二条(三))
    (100, "壹元整"),
    (1000, "壹拾元整"),                                  # 10 yuan: 壹拾, never a bare 拾
    (10000, "壹佰元整"),
    (100100, "壹仟零壹元整"),
    (1001000, "壹万零壹拾元整"),
    (10000000, "壹拾万元整"),
    (100000010, "壹佰万元零壹角整"),                      # the zero 元 digit before 角 is read as 零; 整 after 角
    (2000000000, "贰仟万元整"),
    (10101010100, "壹亿零壹佰零壹万零壹佰零壹元整"),      # 零 across the 亿 and 万 groups
    (10000000100, "壹亿零壹元整"),                        # a whole empty 万 group is one 零
    (12000300000, "壹亿贰仟万叁仟元整"),                  # no 零 when the next group starts with 仟
    (100000000000000, "壹万亿元整"),
    (123456, "壹仟贰佰叁拾肆元伍角陆分"),
    (123400, "壹仟贰佰叁拾肆元整"),
    (32504, "叁佰贰拾伍元零肆分"),                        # 角 is zero, 分 is not
    (168032, "壹仟陆佰捌拾元零叁角贰分"),
    (1000000000, "壹仟万元整"),
    (11000, "壹佰壹拾元整"),
])
def test_rmb_upper(fen, upper):
    assert rmb_upper(fen) == upper


# 会计基础工作规范 第五十二条: "大写金额数字到元或者角为止的，在"元"或者"角"字之后应当写"整"字或者"正"字；
# 大写金额数字有分的，分字后面不写"整"或者"正"字". The figures below are the examples printed with the
# rule on zeros (¥1,409.50, ¥6,007.14, ¥1,680.32, ¥107,000.53, ¥16,409.02, ¥325.04) and the amounts the issue
# lists; where the rule allows a 零 to be written or left out, the written form is used.
@pytest.mark.parametrize("fen, upper", [
    (140950, "壹仟肆佰零玖元伍角整"),                    # a zero between digits is written 零; ends in 角: 整
    (600714, "陆仟零柒元壹角肆分"),                      # several zeros in a row: one 零; ends in 分: no 整
    (168032, "壹仟陆佰捌拾元零叁角贰分"),                # 元 digit zero, 角 not: 零 written
    (10700053, "壹拾万柒仟元零伍角叁分"),                # zeros across 万 and 元, 角 not zero: one 零
    (1640902, "壹万陆仟肆佰零玖元零贰分"),              # 角 zero, 分 not: 零 after 元
    (32504, "叁佰贰拾伍元零肆分"),
    (50, "伍角整"),                                      # 0.50
    (123450, "壹仟贰佰叁拾肆元伍角整"),                  # 1,234.50 (PRODUCT.md's example)
    (10001050, "壹拾万零壹拾元零伍角整"),                # 100,010.50
    (0, "零元整"),                                       # 0.00
    (5, "伍分"),                                         # 0.05: only 分, no 整
    (10000, "壹佰元整"),                                 # 100.00
    (100000010, "壹佰万元零壹角整"),                      # 1,000,000.10
    (100000001, "壹佰万元零壹分"),                        # 1,000,000.01
    (120, "壹元贰角整"),                                 # 1.20
    (20011, "贰佰元零壹角壹分"),                          # 200.11
    (500109, "伍仟零壹元零玖分"),                         # 5,001.09
    (6700400, "陆万柒仟零肆元整"),                        # 67,004.00
    (20008007, "贰拾万零捌拾元零柒分"),                   # 200,080.07
])
def test_rmb_upper_follows_article_52(fen, upper):
    assert rmb_upper(fen) == upper


def test_rmb_upper_refuses_negative_amounts():
    with pytest.raises(ValueError):
        rmb_upper(-1)


# ---- fonts ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def fonts() -> Fonts:
    return load_fonts(RenderConfig())


def test_the_found_font_draws_chinese_in_both_weights(fonts):
    for path, index in ((fonts.regular, fonts.regular_index), (fonts.bold, fonts.bold_index)):
        face = ImageFont.truetype(path, 24, index=index)
        assert missing_glyphs(face, "账房收据壹贰叁人民币大写合计进项发票") == []


def test_the_glyph_check_catches_tofu():
    # Pillow's built-in font has Latin only: every Chinese character would print as its .notdef box.
    latin_only = ImageFont.load_default(24)
    assert missing_glyphs(latin_only, "收据 No.1") == ["收", "据"]


def test_bogus_font_path_is_refused_by_name(tmp_path):
    missing = tmp_path / "no-such-font.ttf"
    with pytest.raises(FontError, match="no-such-font.ttf") as caught:
        load_fonts(RenderConfig(font_path=str(missing)))
    assert "render.font_path" in str(caught.value) and "fonts-noto-cjk" in str(caught.value)
    assert isinstance(caught.value, ConfigError)  # so the CLI prints one line


def test_a_file_that_is_no_font_is_refused(tmp_path):
    bogus = tmp_path / "font.ttf"
    bogus.write_text("not a font")
    with pytest.raises(FontError, match="not a font file"):
        load_fonts(RenderConfig(font_path=str(bogus)))


@pytest.mark.skipif(not DEJAVU.is_file(), reason="DejaVu Sans is not installed")
def test_a_font_without_chinese_glyphs_is_refused():
    with pytest.raises(FontError, match="不能显示中文"):
        load_fonts(RenderConfig(font_path=str(DEJAVU)))


def test_configured_collection_gets_a_chinese_face_and_its_bold_sibling(fonts):
    chosen = load_fonts(RenderConfig(font_path=fonts.regular))
    assert chosen.regular == fonts.regular
    assert missing_glyphs(ImageFont.truetype(chosen.regular, 24, index=chosen.regular_index), "账房收据") == []
    if "Regular" in Path(fonts.regular).name and Path(fonts.regular.replace("Regular", "Bold")).is_file():
        assert chosen.bold == fonts.regular.replace("Regular", "Bold")


def test_fontconfig_answering_a_latin_font_falls_back_to_well_known_paths(fonts, monkeypatch):
    monkeypatch.setattr(render_fonts, "_fontconfig", lambda: [((DEJAVU, None), None)])
    monkeypatch.setattr(render_fonts, "WELL_KNOWN", (("/nowhere/a.ttc", ""), (fonts.regular, fonts.bold)))
    assert load_fonts(RenderConfig()).regular == fonts.regular


def test_no_font_anywhere_says_what_to_install(monkeypatch):
    monkeypatch.setattr(render_fonts, "_fontconfig", lambda: [((DEJAVU, None), None)])
    monkeypatch.setattr(render_fonts, "WELL_KNOWN", (("/nowhere/a.ttc", "/nowhere/b.ttc"),))
    with pytest.raises(FontError, match="fonts-noto-cjk") as caught:
        load_fonts(RenderConfig())
    assert "\n" not in str(caught.value)


# ---- receipt ----------------------------------------------------------------------------------------------

LONG_ITEM = "工商年报代办及税务登记变更服务费（含材料打印与快递）"
RECEIPT = ReceiptData(
    agency="上海示例财税代理有限公司", receipt_no="2026-000123", paid_on=date(2026, 3, 5),
    payer="华夏科技（上海）有限公司", method="银行转账", payee="王刚",
    lines=(ReceiptLine("代理记账费", "2026-01 至 2026-06", 180000),
           ReceiptLine(LONG_ITEM, "2026-03", 50050),
           ReceiptLine("Annual audit support for foreign-invested enterprise", "2026", 1000001)),
    amount_fen=1230051, note="已开具增值税普通发票；如有疑问请联系客户经理李小梅。")


def _png(data: bytes) -> Image.Image:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) < MAX_PNG
    image = Image.open(io.BytesIO(data))
    image.load()
    return image.convert("RGB")


def _count(image: Image.Image, colour: str) -> int:
    """How many pixels are clearly red or clearly green (the stamp, the ✓/✗ marks)."""
    r, g, b = image.split()
    high, low = (lambda v: 255 if v > 150 else 0), (lambda v: 255 if v < 110 else 0)
    if colour == "red":
        masks = (r.point(high), g.point(low), b.point(low))
    else:
        masks = (r.point(low), g.point(lambda v: 255 if v > 110 else 0), b.point(low))
    return ImageChops.multiply(ImageChops.multiply(*masks[:2]), masks[2]).histogram()[255]


def test_receipt_is_a_small_png_750_wide(fonts):
    image = _png(render_receipt(RECEIPT, fonts))
    assert image.width == 750 and 800 < image.height < 2000
    assert _count(image, "red") > 2000  # the red 收讫 stamp (and receipt number)


def test_receipt_prints_every_field_in_figures_and_in_words(fonts):
    printed = [text for text, _ in receipt_sheet(RECEIPT, fonts).texts]
    joined = "".join(printed)
    for expected in ("上海示例财税代理有限公司", "收　据", "No. 2026-000123", "日期：2026年03月05日",
                     "付款单位：华夏科技（上海）有限公司", "代理记账费", "2026-01 至 2026-06", "1,800.00",
                     "¥12,300.51", "人民币壹万贰仟叁佰元零伍角壹分", "付款方式：银行转账", "收款人：王刚",
                     "备注：已开具增值税普通发票", "收讫"):
        assert expected in printed or expected in joined, expected
    # the long item name wraps inside its column instead of running into the next one
    assert LONG_ITEM not in printed and LONG_ITEM in joined


def test_receipt_has_no_tofu(fonts):
    sheet = receipt_sheet(RECEIPT, fonts)
    assert any("\u4e00" <= ch <= "\u9fff" for text, _ in sheet.texts for ch in text)
    for text, face in sheet.texts:
        assert missing_glyphs(face, text) == [], text


def test_the_same_receipt_with_a_latin_font_would_show_tofu(fonts):
    # the check above can fail: a Latin-only font misses the receipt's Chinese characters
    latin_only = ImageFont.load_default(24)
    missing = {ch for text, _ in receipt_sheet(RECEIPT, fonts).texts for ch in missing_glyphs(latin_only, text)}
    assert {"收", "讫", "壹", "账"} <= missing


def test_receipt_without_lines_or_note_still_renders(fonts):
    empty = ReceiptData(agency="示例财税", receipt_no="2026-000001", paid_on=date(2026, 1, 2), payer="某公司",
                        method="现金", payee="张三", lines=(), amount_fen=0)
    printed = [text for text, _ in receipt_sheet(empty, fonts).texts]
    assert "人民币零元整" in printed and "备注：—" in printed
    assert _png(render_receipt(empty, fonts)).width == 750


# ---- 收票 detail ------------------------------------------------------------------------------------------

COLLECTION = CollectionData(
    agency="上海示例财税代理有限公司", client="华夏科技（上海）有限公司", period="2026-03", status="收票中",
    lines=(CollectionLine("进项发票", 23, True), CollectionLine("销项发票", 41, True, "含 3 张红字发票"),
           CollectionLine("费用票", 0, False, "客户说月底前寄出，寄出后会在群里通知"),
           CollectionLine("银行回单", 12, True), CollectionLine("工资表", 0, False)),
    updated="2026-03-12 15:30 李小梅")


def test_collection_is_a_small_png_with_drawn_marks(fonts):
    image = _png(render_collection(COLLECTION, fonts))
    assert image.width == 750 and 600 < image.height < 1600
    # ✓ and ✗ are drawn shapes in green and red, not emoji characters that could turn into tofu
    status_column = image.crop((40 + 190 + 110, 300, 40 + 190 + 110 + 46, image.height - 150))
    assert _count(status_column, "green") > 100 and _count(status_column, "red") > 100
    printed = "".join(text for text, _ in collection_sheet(COLLECTION, fonts).texts)
    assert "✓" not in printed and "✗" not in printed


def test_collection_prints_counts_and_completion(fonts):
    sheet = collection_sheet(COLLECTION, fonts)
    printed = [text for text, _ in sheet.texts]
    for expected in ("收票明细", "客户：华夏科技（上海）有限公司", "期间：2026-03", "收票中", "进项发票", "23 张",
                     "工资表", "已收 3 项（76 张）", "缺 2 项", "完成度 60%", "更新于 2026-03-12 15:30 李小梅"):
        assert expected in printed, expected
    assert printed.count("已收") == 3 and printed.count("未收") == 2
    for text, face in sheet.texts:
        assert missing_glyphs(face, text) == [], text


def test_collection_complete_and_empty(fonts):
    done = CollectionData("示例财税", "锦程贸易", "2026-02", "已完成",
                          tuple(CollectionLine(k, 3, True) for k in ("进项发票", "销项发票", "费用票")))
    printed = [text for text, _ in collection_sheet(done, fonts).texts]
    assert "完成度 100%" in printed and "缺 0 项" in printed and "已完成" in printed
    empty = CollectionData("示例财税", "锦程贸易", "2026-02", "收票中", ())
    printed = [text for text, _ in collection_sheet(empty, fonts).texts]
    assert "本期没有收票项目" in printed and "完成度 0%" in printed
    assert _png(render_collection(empty, fonts)).width == 750


# ---- reports workbook -------------------------------------------------------------------------------------

def _line(code, name, fen, section, total=False):
    return {"code": code, "name": name, "amount_fen": fen, "section": section, "total": total}


# A balanced 资产负债表 with a loss carried forward (negative 未分配利润) and odd fen everywhere.
BALANCE = [
    _line("1", "货币资金", 12345678, "asset"), _line("4", "应收账款", 2345601, "asset"),
    _line("9", "存货", 99, "asset"), _line("15", "流动资产合计", 14691378, "asset", True),
    _line("18", "固定资产原价", 5000000, "asset"), _line("19", "减：累计折旧", 1234567, "asset"),
    _line("20", "固定资产账面价值", 3765433, "asset"), _line("29", "非流动资产合计", 3765433, "asset", True),
    _line("30", "资产合计", 18456811, "asset", True),
    _line("33", "应付账款", 3000001, "liability"), _line("36", "应交税费", 456789, "liability"),
    _line("47", "负债合计", 3456790, "liability", True),
    _line("48", "实收资本", 20000000, "equity"), _line("51", "未分配利润", -4999979, "equity"),
    _line("52", "所有者权益合计", 15000021, "equity", True),
    _line("53", "负债和所有者权益合计", 18456811, "equity", True),
]
INCOME = [
    _line("1", "营业收入", 8765432, "profit"), _line("2", "营业成本", 6543210, "profit"),
    _line("21", "营业利润", 2222222, "profit", True), _line("31", "所得税费用", 111111, "profit"),
    _line("32", "净利润", 2111111, "profit", True),
]


def _amounts(ws) -> dict[str, tuple]:
    """name -> (amount cell, name cell) for every statement line on the sheet."""
    found = {}
    for row in ws.iter_rows(min_row=5):
        for i in range(0, len(row) - 2, 3):
            if isinstance(row[i].value, str) and row[i + 2].value is not None:
                found[row[i].value] = (row[i + 2], row[i])
    return found


@pytest.fixture(scope="module")
def workbook_bytes() -> bytes:
    return render_reports_xlsx("上海示例财税代理有限公司", "华夏科技（上海）有限公司", "2026-03", BALANCE, INCOME)


def test_workbook_has_both_statements_with_chinese_headers(workbook_bytes):
    wb = openpyxl.load_workbook(io.BytesIO(workbook_bytes))
    assert wb.sheetnames == ["资产负债表", "利润表"]
    bs, ist = wb["资产负债表"], wb["利润表"]
    assert [c.value for c in bs[4]] == ["资产", "行次", "期末余额", "负债和所有者权益", "行次", "期末余额"]
    assert [c.value for c in ist[4]][:3] == ["项目", "行次", "本期金额"]
    for ws, title in ((bs, "资产负债表"), (ist, "利润表")):
        heading = " ".join(str(ws.cell(row=r, column=1).value) for r in (1, 2, 3))
        for expected in (title, "华夏科技（上海）有限公司", "2026-03", "上海示例财税代理有限公司", "单位：元"):
            assert expected in heading
        assert ws.column_dimensions["A"].width >= 26 and ws.column_dimensions["C"].width >= 16


def test_workbook_amounts_are_exact_yuan_and_balance(workbook_bytes):
    wb = openpyxl.load_workbook(io.BytesIO(workbook_bytes))
    for ws, lines in ((wb["资产负债表"], BALANCE), (wb["利润表"], INCOME)):
        cells = _amounts(ws)
        for line in lines:
            amount, name = cells[line["name"]]
            assert Decimal(str(amount.value)) == Decimal(line["amount_fen"]) / 100, line["name"]
            assert amount.number_format == "#,##0.00"
            assert bool(name.font.b) == line["total"] and bool(amount.font.b) == line["total"]
    bs = _amounts(wb["资产负债表"])
    assert bs["资产合计"][0].value == bs["负债和所有者权益合计"][0].value == 184568.11
    # written as exact decimal text, not a float's binary approximation
    sheet_xml = zipfile.ZipFile(io.BytesIO(workbook_bytes)).read("xl/worksheets/sheet1.xml").decode()
    assert "<v>184568.11</v>" in sheet_xml and "<v>-49999.79</v>" in sheet_xml and "<v>0.99</v>" in sheet_xml


def test_workbook_without_lines_says_so():
    wb = openpyxl.load_workbook(io.BytesIO(render_reports_xlsx("示例财税", "锦程贸易", "2026-02", [], [])))
    assert wb["资产负债表"]["A5"].value == "本期没有资产负债表数据"
    assert wb["利润表"]["A5"].value == "本期没有利润表数据"


# ---- start-up ---------------------------------------------------------------------------------------------

async def test_startup_loads_the_fonts_once(db_url):
    server = TestServer(create_app(make_config(db_url)))
    await server.start_server()
    try:
        loaded = server.app[keys.FONTS]
        assert isinstance(loaded, Fonts)
        assert missing_glyphs(ImageFont.truetype(loaded.regular, 24, index=loaded.regular_index), "收据") == []
    finally:
        await server.close()


async def test_startup_with_a_bad_font_path_fails(db_url, tmp_path):
    config = make_config(db_url).replace(render={"font_path": str(tmp_path / "gone.ttf")})
    server = TestServer(create_app(config))
    with pytest.raises(FontError, match="gone.ttf"):
        await server.start_server()
    await server.close()


def test_serve_with_a_bad_font_path_prints_one_line(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(f"render:\n  font_path: {tmp_path / 'gone.ttf'}\n", encoding="utf-8")
    env = {**os.environ, "WECOM_CORP_ID": CORP_ID, "WECOM_AGENT_ID": str(AGENT_ID), "WECOM_SECRET": SECRET,
           "WECOM_TOKEN": TOKEN, "WECOM_AES_KEY": AES_KEY, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
           **SERVE_ENV}
    done = subprocess.run([sys.executable, "-m", "bot", "--config", str(config), "serve", "--port", "9"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    errors = [line for line in done.stderr.splitlines() if "render.font_path" in line]
    assert len(errors) == 1 and "gone.ttf" in errors[0] and "Traceback" not in done.stderr
