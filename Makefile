# The README's two commands: `make demo` runs the product, `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test bench clean fonts

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@$(MAKE) --no-print-directory fonts
	touch $(STAMP)

# Receipts are drawn with a font that has Chinese glyphs: install Noto Sans CJK when none is found (as root),
# otherwise say what to do. render.font_path in config.yaml names any other font file.
NO_CJK_HINT := 提示：没有找到中文字体，请安装 fonts-noto-cjk（sudo apt-get install fonts-noto-cjk）或在 config.yaml 设置 render.font_path / hint: no CJK font found; install fonts-noto-cjk or set render.font_path
fonts:
	@if command -v fc-list >/dev/null && [ -n "$$(fc-list :lang=zh file)" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -q fonts-noto-cjk || { apt-get update -q && apt-get install -y -q fonts-noto-cjk; } \
	  || echo "$(NO_CJK_HINT)"; \
	else echo "$(NO_CJK_HINT)"; fi

demo: $(STAMP)
	$(PY) -m bot demo

test: $(STAMP)
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) bench/callback.py

clean:
	rm -rf $(VENV) var .pytest_cache
