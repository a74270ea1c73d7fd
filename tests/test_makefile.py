"""`make` on a fresh clone: set-up is marked done only when every step succeeded, a failed font install is
retried by the next run, and `make demo PORT=N` serves on N with the fake WeCom on N+1.

Cheap and offline: the clone is of this repository's committed tree; the venv is a one-line wrapper around the
interpreter running these tests, with its dependency stamp already written (so pip never runs, and PYTHON=false
proves no venv is created); apt-get and id are PATH shims. Everything after that is the real Makefile."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from bot.config.settings import RenderConfig
from bot.render.fonts import load_fonts

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.real_clock  # make and the demo are child processes


REAL_ID = shutil.which("id") or "/usr/bin/id"


def _id_shim(shims: Path, uid: int) -> None:
    """`id -u` answers ``uid`` (to take the root branch, or not, whoever runs the tests); anything else is id."""
    _script(shims / "id", f'[ "$1" = "-u" ] && {{ echo {uid}; exit 0; }}\nexec "{REAL_ID}" "$@"\n')


def _script(path: Path, text: str) -> Path:
    path.write_text("#!/bin/sh\n" + text, encoding="utf-8")
    path.chmod(0o755)
    return path


@pytest.fixture
def clone(tmp_path):
    """(clone dir, venv dir, make's environment): a fresh clone whose dependencies count as installed."""
    repo = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(repo)], check=True, capture_output=True, timeout=120)
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    _script(venv / "bin" / "python", f'exec "{sys.executable}" "$@"\n')
    deps = venv / ".deps"
    deps.touch()
    later = time.time() + 60
    os.utime(deps, (later, later))  # newer than the clone's requirements files
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "MFLAGS"))}
    return repo, venv, env


def _make(repo, venv, env, *args, config=None):
    cmd = ["make", "--no-print-directory", "-C", str(repo), f"VENV={venv}", "PYTHON=false"]
    cmd += [f"CONFIG={config}"] if config else []
    return subprocess.run(cmd + list(args), env=env, capture_output=True, text=True, timeout=300)


def test_a_failed_font_install_leaves_set_up_unfinished_and_the_next_make_retries_it(clone, tmp_path):
    repo, venv, env = clone
    # The font the config names is missing until the (shimmed) apt-get installs it, as fonts-noto-cjk would.
    real_font = load_fonts(RenderConfig()).regular
    target = tmp_path / "fonts" / "NotoSansCJK-Regular.ttc"
    config = tmp_path / "config.yaml"
    config.write_text(f"render:\n  font_path: {target}\n", encoding="utf-8")
    shims, calls, apt_works = tmp_path / "shims", tmp_path / "apt-calls", tmp_path / "apt-works"
    shims.mkdir()
    _id_shim(shims, 0)
    _script(shims / "apt-get", f'echo "$*" >> "{calls}"\n'
                               f'if [ -e "{apt_works}" ] && [ "$1" = install ]; then\n'
                               f'  mkdir -p "{target.parent}" && ln -sf "{real_font}" "{target}"; exit 0\nfi\n'
                               'echo "E: Could not get lock /var/lib/dpkg/lock-frontend" >&2; exit 100\n')
    env = {**env, "PATH": f"{shims}:{env['PATH']}"}
    stamp = venv / ".installed"

    first = _make(repo, venv, env, "setup", config=config)
    assert first.returncode != 0 and not stamp.exists()
    assert "字体安装失败" in first.stderr and "下次运行 make 会重试" in first.stderr
    assert "render.font_path" in first.stderr  # the font search's own line says what it looked for
    assert calls.read_text().splitlines() == ["install -y -q fonts-noto-cjk", "update -q"]

    second = _make(repo, venv, env, "setup", config=config)  # still failing: retried, not skipped
    assert second.returncode != 0 and not stamp.exists()
    assert len(calls.read_text().splitlines()) == 4

    apt_works.touch()
    third = _make(repo, venv, env, "setup", config=config)
    assert third.returncode == 0, third.stderr
    assert stamp.exists() and "正在安装中文字体" in third.stdout

    fourth = _make(repo, venv, env, "setup", config=config)  # done: nothing is installed again
    assert fourth.returncode == 0 and len(calls.read_text().splitlines()) == 5


def test_without_root_set_up_stops_with_what_to_install(clone, tmp_path):
    repo, venv, env = clone
    config = tmp_path / "config.yaml"
    config.write_text(f"render:\n  font_path: {tmp_path / 'none.ttc'}\n", encoding="utf-8")
    shims = tmp_path / "shims"
    shims.mkdir()
    _id_shim(shims, 1000)
    _script(shims / "apt-get", "echo 'apt-get must not run without root' >&2; exit 99\n")
    proc = _make(repo, venv, {**env, "PATH": f"{shims}:{env['PATH']}"}, "setup", config=config)
    assert proc.returncode != 0 and not (venv / ".installed").exists()
    assert "sudo apt-get install fonts-noto-cjk" in proc.stderr and "apt-get must not run" not in proc.stderr


def _free_pair() -> int:
    """A port N with N+1 free as well."""
    for _ in range(50):
        with socket.socket() as a, socket.socket() as b:
            a.bind(("127.0.0.1", 0))
            port = a.getsockname()[1]
            try:
                b.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
            return port
    raise AssertionError("no two adjacent free ports")


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.mark.slow
def test_make_demo_takes_a_port_and_the_fake_wecom_follows(clone, tmp_path):
    repo, venv, env = clone
    (venv / ".installed").touch()
    os.utime(venv / ".installed", (time.time() + 120, time.time() + 120))  # set-up done
    port = _free_pair()
    log = open(tmp_path / "demo.log", "w")
    proc = subprocess.Popen(["make", "--no-print-directory", "-C", str(repo), f"VENV={venv}", "PYTHON=false",
                             "demo", f"PORT={port}"], env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        for _ in range(600):
            try:
                status, body = _get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                assert proc.poll() is None, (tmp_path / "demo.log").read_text()
                time.sleep(0.1)
        assert status == 200 and '"status": "ok"' in body
        status, page = _get(f"http://127.0.0.1:{port}/sandbox")
        assert status == 200 and "立即运行提醒" in page
        status, body = _get(f"http://127.0.0.1:{port + 1}/cgi-bin/gettoken?corpid=x&corpsecret=y")
        assert status == 200 and "errcode" in body  # the fake WeCom answers on PORT+1
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        log.close()
    assert f"http://127.0.0.1:{port}/sandbox" in (tmp_path / "demo.log").read_text()
