"""Start-up failures an operator meets (port taken, database unreachable or read-only, no font) end `serve` and
`demo` with one line on stderr naming the setting or path and the fix, a non-zero status and no traceback;
`--debug` shows the traceback as well. Each runs the real CLI in a child process."""
import os
import socket
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import AES_KEY, SERVE_ENV

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.real_clock  # child processes keep the real clock
ENV = {"WECOM_CORP_ID": "wwstartup", "WECOM_AGENT_ID": "1000002", "WECOM_SECRET": "startup-secret-xyz",
       "WECOM_TOKEN": "StartToken1", "WECOM_AES_KEY": AES_KEY}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _demo_ports() -> list[str]:
    """--port and --sandbox-port, both free: by default the fake WeCom takes --port + 1, which may be in use
    (by a test running beside this one, for instance) and would fail the start before what is tested."""
    with socket.socket() as a, socket.socket() as b:
        a.bind(("127.0.0.1", 0))
        b.bind(("127.0.0.1", 0))
        return ["--port", str(a.getsockname()[1]), "--sandbox-port", str(b.getsockname()[1])]


def _run(args, db_url="", config=None, **kw) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WECOM_", "DATABASE_URL"))}
    env.update(ENV, **SERVE_ENV, PYTHONDONTWRITEBYTECODE="1")  # serve needs a public URL and a session secret
    if db_url:
        env["DATABASE_URL"] = db_url
    head = [sys.executable, "-m", "bot"] + (["--config", str(config)] if config else [])
    return subprocess.run(head + args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, **kw)


def _one_line(proc, *needles) -> str:
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr and ENV["WECOM_SECRET"] not in proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def test_serve_on_a_busy_port(tmp_path):
    port = _free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        proc = _run(["serve", "--port", str(port)], f"sqlite:///{tmp_path / 'a.sqlite3'}")
        debug = _run(["--debug", "serve", "--port", str(port)], f"sqlite:///{tmp_path / 'a.sqlite3'}")
    assert proc.returncode == 1
    _one_line(proc, "server.port", f"端口 {port} 已被占用", "--port")
    assert not (tmp_path / "a.sqlite3").exists()  # nothing was started before the check
    assert debug.returncode == 1 and "Traceback" in debug.stderr and "Address already in use" in debug.stderr
    assert debug.stderr.strip().splitlines()[-1] == proc.stderr.strip()  # the same line, last


def test_serve_with_postgresql_unreachable():
    dead = _free_port()  # nothing listens there
    proc = _run(["serve", "--port", str(_free_port())], f"postgresql://zf:pw-not-shown@127.0.0.1:{dead}/zhangfang")
    assert proc.returncode == 1
    line = _one_line(proc, "database.url (DATABASE_URL)", "无法连接 PostgreSQL", f"127.0.0.1:{dead}/zhangfang",
                     "start it or fix the URL")
    assert "pw-not-shown" not in line


def test_serve_without_a_usable_font(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(f"render:\n  font_path: {tmp_path / 'missing.ttc'}\n", encoding="utf-8")
    proc = _run(["serve", "--port", str(_free_port())], f"sqlite:///{tmp_path / 'a.sqlite3'}", config)
    assert proc.returncode == 2
    _one_line(proc, "render.font_path", "missing.ttc", "fonts-noto-cjk")
    debug = _run(["--debug", "serve", "--port", str(_free_port())], f"sqlite:///{tmp_path / 'a.sqlite3'}", config)
    assert debug.returncode == 2 and "Traceback" in debug.stderr and "FontError" in debug.stderr


def _freeze(paths: list[Path], frozen: bool) -> None:
    """Make paths unwritable, or writable again. Root writes through any mode bits, so as root the files are
    made immutable (chattr); anyone else is stopped by the mode bits."""
    if os.geteuid() == 0:
        proc = subprocess.run(["chattr", "+i" if frozen else "-i", *map(str, paths)], capture_output=True, text=True)
        if proc.returncode and frozen:
            pytest.skip(f"running as root and chattr cannot make files immutable here: {proc.stderr.strip()}")
        return
    for path in paths:
        path.chmod((0o555 if path.is_dir() else 0o444) if frozen else stat.S_IRWXU)


@pytest.fixture
def read_only_sqlite(tmp_path):
    """A SQLite database file, in a folder, that the server may read but not write."""
    folder = tmp_path / "readonly"
    folder.mkdir()
    path = folder / "zhangfang.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE kept (x INTEGER)")
    conn.close()
    _freeze([path, folder], True)
    yield path
    _freeze([path, folder], False)


def test_serve_on_a_read_only_sqlite_file(read_only_sqlite):
    path = read_only_sqlite
    proc = _run(["serve", "--port", str(_free_port())], f"sqlite:///{path}")
    assert proc.returncode == 1
    _one_line(proc, "database.url (DATABASE_URL)", "只读", str(path), "writable")


def test_db_upgrade_on_a_read_only_sqlite_file(read_only_sqlite):
    proc = _run(["db", "upgrade"], f"sqlite:///{read_only_sqlite}")
    assert proc.returncode == 1
    _one_line(proc, "database.url (DATABASE_URL)", "只读")


def test_demo_checks_the_font_before_seeding(tmp_path):
    demo_db = tmp_path / "demo.sqlite3"
    config = tmp_path / "config.yaml"
    config.write_text(f"render:\n  font_path: {tmp_path / 'missing.ttc'}\ndemo:\n  database: {demo_db}\n",
                      encoding="utf-8")
    proc = _run(["demo", *_demo_ports()], config=config)
    assert proc.returncode == 2
    _one_line(proc, "render.font_path", "missing.ttc")
    assert not demo_db.exists() and proc.stdout == ""  # nothing seeded
    debug = _run(["--debug", "demo", *_demo_ports()], config=config)
    assert debug.returncode == 2 and "Traceback" in debug.stderr and not demo_db.exists()


def test_demo_in_a_folder_it_cannot_write(read_only_sqlite, tmp_path):
    path = read_only_sqlite
    config = tmp_path / "config.yaml"
    config.write_text(f"demo:\n  database: {path.parent / 'demo' / 'demo.sqlite3'}\n", encoding="utf-8")
    proc = _run(["demo", *_demo_ports()], config=config)
    assert proc.returncode == 1
    _one_line(proc, "demo.database", str(path.parent / "demo"), "writable")


def test_demo_port_alone_moves_the_fake_wecom_to_the_next_port():
    for _ in range(20):  # two adjacent free ports
        port = _free_port()
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port + 1))
                break
            except OSError:
                continue
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port + 1))
        taken.listen()
        proc = _run(["demo", "--port", str(port)])
    assert proc.returncode == 1
    _one_line(proc, f"端口 {port + 1} 已被占用", "--sandbox-port")
