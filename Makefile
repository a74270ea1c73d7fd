# The README's two commands: `make demo` runs the product, `make test` runs the tests.
#
# Set-up runs on the first `make` and counts as done only when every step succeeded: the dependencies
# ($(DEPS)), then a font that draws Chinese ($(STAMP)). A step that failed leaves its stamp unwritten, so the
# next `make` retries it (and only it). Overrides: PYTHON (the interpreter the venv is made with), VENV,
# CONFIG (another config.yaml, passed as --config), PORT (`make demo PORT=8090`; the fake WeCom takes PORT+1).
PYTHON ?= python3
VENV ?= .venv
CONFIG ?=
PORT ?=
PY := $(VENV)/bin/python
DEPS := $(VENV)/.deps
STAMP := $(VENV)/.installed
BOT := $(PY) -m bot$(if $(CONFIG), --config $(CONFIG))

.PHONY: setup demo test bench clean fonts

setup: $(STAMP)

$(DEPS): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

$(STAMP): $(DEPS)
	@$(MAKE) --no-print-directory fonts
	touch $@

# Receipts are drawn with a font that has Chinese glyphs. `python -m bot fonts` asks the server's own font search
# (render.font_path, else fontconfig, else well-known paths); when it finds none, Noto Sans CJK is installed (as
# root with apt-get) and the search is asked again. Any failure stops set-up here, with what to do.
FONT_INSTALLING := 正在安装中文字体 fonts-noto-cjk / installing fonts-noto-cjk
FONT_FAILED := 字体安装失败（apt-get 出错：可能正被其他程序占用，或无法联网）。设置尚未完成，下次运行 make 会重试；也可自行安装 fonts-noto-cjk，或在 config.yaml 设置 render.font_path / installing fonts-noto-cjk failed (apt busy or offline?): set-up is not finished and the next make retries it; or install it yourself, or set render.font_path
NO_CJK_HINT := 没有找到中文字体，也无法自动安装（需要 root 和 apt-get）。请安装 fonts-noto-cjk（sudo apt-get install fonts-noto-cjk）或在 config.yaml 设置 render.font_path，然后重新运行 make / no CJK font and no way to install one (needs root and apt-get): install fonts-noto-cjk or set render.font_path, then run make again
fonts: $(DEPS)
	@if $(BOT) fonts >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "$(FONT_INSTALLING)"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  if { apt-get install -y -q fonts-noto-cjk || { apt-get update -q && apt-get install -y -q fonts-noto-cjk; }; } \
	    && $(BOT) fonts; then :; else echo "$(FONT_FAILED)" >&2; exit 1; fi; \
	else $(BOT) fonts; echo "$(NO_CJK_HINT)" >&2; exit 1; fi

demo: $(STAMP)
	$(BOT) demo$(if $(PORT), --port $(PORT))

# One pytest worker per core (pytest-xdist): every test has its own database, ports and temporary files.
# `$(PY) -m pytest tests/test_x.py` still runs in one process, for a single test or a debugger.
test: $(STAMP)
	$(PY) -m pytest -n auto

bench: $(STAMP)
	$(PY) bench/callback.py

clean:
	rm -rf $(VENV) var .pytest_cache
