"""Finding a font that can draw Chinese, once at start-up, and handing out cached font objects to renderers.

A font "can draw Chinese" when each character of PROBE renders differently from the font's .notdef glyph
(the box or blank shown for a missing character): fontconfig happily returns DejaVu Sans for lang=zh-cn when no
CJK font is installed, so the file name alone proves nothing.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

from PIL import ImageFont

from bot.config.settings import ConfigError, RenderConfig

PROBE = "账房收据壹贰叁"
NOTDEF_PROBE = "\U0010FFFD"  # a private-use code point no font maps: renders as .notdef
INSTALL_HINT = ("请安装 fonts-noto-cjk（apt-get install fonts-noto-cjk）或在 config.yaml 设置 render.font_path / "
                "install fonts-noto-cjk or set render.font_path")

# Where common distributions and systems keep a CJK font, tried when fontconfig finds none: (regular, bold).
WELL_KNOWN = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc"),
    ("/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
     "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Bold.ttc"),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", ""),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", ""),
    ("/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc", ""),
    ("/System/Library/Fonts/PingFang.ttc", ""),
    ("C:/Windows/Fonts/msyh.ttc", "C:/Windows/Fonts/msyhbd.ttc"),
)


class FontError(ConfigError):
    """No usable CJK font; the one-line message (Chinese / English) says what to install or configure.

    A ConfigError, so `python -m bot serve` prints it as one line instead of a traceback."""


@dataclass(frozen=True)
class Fonts:
    """The font files receipts are drawn with; the indexes pick a face inside a .ttc collection."""
    regular: str
    bold: str
    regular_index: int = 0
    bold_index: int = 0


def load_fonts(cfg: RenderConfig) -> Fonts:
    """cfg.font_path if set, else fontconfig, else well-known paths; FontError unless the font draws Chinese."""
    if cfg.font_path:
        return _configured(cfg.font_path)
    well_known = [((Path(r), None), (Path(b), None) if b else None) for r, b in WELL_KNOWN]
    for regular, bold in [*_fontconfig(), *well_known]:
        index = _usable(*regular)
        if index is not None:
            bold_index = _usable(*bold) if bold else None
            if bold_index is None:
                return Fonts(str(regular[0]), str(regular[0]), index, index)
            return Fonts(str(regular[0]), str(bold[0]), index, bold_index)
    raise FontError(f"找不到能显示中文的字体 / no font that can draw Chinese was found: {INSTALL_HINT}")


def _configured(font_path: str) -> Fonts:
    path = Path(font_path).expanduser()
    if not path.is_file():
        raise FontError(f"render.font_path: 字体文件不存在 / font file not found: {path}（{INSTALL_HINT}）")
    try:
        ImageFont.truetype(str(path), 24)
    except OSError:
        raise FontError(f"render.font_path: 不是字体文件 / not a font file: {path}（{INSTALL_HINT}）") from None
    index = _usable(path)
    if index is None:
        raise FontError(f"render.font_path: {path} 不能显示中文（缺少「{PROBE}」的字形）/ "
                        f"this font has no Chinese glyphs; use a CJK font such as Noto Sans CJK (fonts-noto-cjk)")
    # NotoSansCJK-Regular.ttc -> NotoSansCJK-Bold.ttc when it sits next to it; else bold is the same face.
    sibling = path.with_name(path.name.replace("Regular", "Bold"))
    bold_index = _usable(sibling) if sibling != path else None
    if bold_index is None:
        return Fonts(str(path), str(path), index, index)
    return Fonts(str(path), str(sibling), index, bold_index)


Face = tuple[Path, "int | None"]  # a font file and the face index fontconfig chose in it (None: unknown)


def _fontconfig() -> list[tuple[Face, Face | None]]:
    """fc-match's choice for Chinese sans-serif as (regular, bold); empty when fontconfig is absent."""
    if shutil.which("fc-match") is None:
        return []
    faces = []
    for pattern in ("sans-serif:lang=zh-cn", "sans-serif:lang=zh-cn:weight=bold"):
        try:
            out = subprocess.run(["fc-match", "-f", "%{file}\n%{index}", pattern], capture_output=True,
                                 text=True, timeout=10, check=False).stdout
        except (OSError, subprocess.SubprocessError):
            return []
        file, _, index = out.partition("\n")
        faces.append((Path(file.strip()), int(index) if index.strip().isdigit() else None) if file.strip() else None)
    return [(faces[0], faces[1])] if faces[0] else []


def _usable(path: Path, preferred: int | None = None) -> int | None:
    """The index of a face in `path` that draws PROBE (fontconfig's or a Simplified Chinese one first), or None."""
    if not path.is_file():
        return None
    order = ([preferred] if preferred is not None else []) + [i for i in range(16) if i != preferred]
    passing = []
    for index in order:
        try:
            face = ImageFont.truetype(str(path), 24, index=index)
        except OSError:  # past the last face of a collection, or not a font file at all
            if index == preferred:
                continue
            break
        if missing_glyphs(face, PROBE):
            continue
        if index == preferred or any(tag in (face.getname()[0] or "") for tag in (" SC", "GB", " CN")):
            return index
        passing.append(index)
    return passing[0] if passing else None


def missing_glyphs(font: ImageFont.FreeTypeFont, text: str) -> list[str]:
    """The characters of `text` this font would draw as its .notdef glyph (tofu), in order, without repeats."""
    notdef = _mask_key(font, NOTDEF_PROBE)
    missing = []
    for ch in dict.fromkeys(text):
        if not ch.isspace() and _mask_key(font, ch) == notdef:
            missing.append(ch)
    return missing


def _mask_key(font: ImageFont.FreeTypeFont, ch: str) -> tuple:
    mask = font.getmask(ch)
    return mask.size, bytes(mask)


_local = threading.local()


def font(fonts: Fonts, size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    """A cached FreeTypeFont; one cache per thread, since renders run in asyncio.to_thread workers."""
    cache = _local.__dict__.setdefault("fonts", {})
    key = (fonts.bold, fonts.bold_index, size) if bold else (fonts.regular, fonts.regular_index, size)
    if key not in cache:
        cache[key] = ImageFont.truetype(os.fspath(key[0]), size, index=key[1])
    return cache[key]


def advances(f: ImageFont.FreeTypeFont) -> dict[str, float]:
    """Per-character advance widths of a cached font, filled lazily: wrapping measures each character once."""
    table = _local.__dict__.setdefault("advances", {})
    return table.setdefault(id(f), {})  # fonts stay in the per-thread cache, so their ids are never reused
