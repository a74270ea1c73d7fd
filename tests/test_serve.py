"""`python -m bot serve` as an operator runs it: starts from the environment alone, never calls WeCom."""
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import AES_KEY, SERVE_ENV

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_starts_without_calling_wecom_and_healthz_is_200(empty_db_url, tmp_path):
    """On a brand-new database: serve migrates it before it answers."""
    port = _free_port()
    dead_wecom = f"http://127.0.0.1:{_free_port()}/cgi-bin/"  # nothing listens: any call would fail loudly
    env = {k: v for k, v in os.environ.items() if not k.startswith("WECOM_")}
    env.update({"WECOM_CORP_ID": "wwservetest", "WECOM_AGENT_ID": "1000002", "WECOM_SECRET": "serve-secret-xyz",
                "WECOM_TOKEN": "ServeToken1", "WECOM_AES_KEY": AES_KEY, "WECOM_API_BASE": dead_wecom,
                "DATABASE_URL": empty_db_url, **SERVE_ENV})
    with open(tmp_path / "serve.log", "w") as log:
        _run_and_probe(env, port, log, tmp_path)
    output = (tmp_path / "serve.log").read_text()
    assert "serve-secret-xyz" not in output and AES_KEY not in output
    assert "Traceback" not in output


def _run_and_probe(env, port, log, tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        body = None
        for _ in range(150):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as resp:
                    body = (resp.status, resp.read().decode())
                    break
            except OSError:
                time.sleep(0.1)
        assert body is not None, (tmp_path / "serve.log").read_text()
        assert body[0] == 200 and '"status": "ok"' in body[1]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/sandbox", timeout=1) as resp:
            raise AssertionError("serve must not expose /sandbox")
    except urllib.error.HTTPError as exc:
        assert exc.code == 404
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def _cli(args, db_url):
    env = {k: v for k, v in os.environ.items() if not k.startswith("WECOM_")}
    env["DATABASE_URL"] = db_url
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def test_db_upgrade_and_seed_demo_from_the_command_line(empty_db_url):
    db_url = empty_db_url  # a brand-new database: the first upgrade applies every migration
    first = _cli(["db", "upgrade"], db_url)
    assert first.returncode == 0 and "initial schema" in first.stdout
    again = _cli(["db", "upgrade"], db_url)
    assert again.returncode == 0 and "本次应用" not in again.stdout  # nothing left to apply
    seeded = _cli(["db", "seed-demo"], db_url)
    assert seeded.returncode == 0 and "client 50" in seeded.stdout
    twice = _cli(["db", "seed-demo"], db_url)
    assert twice.returncode == 1 and "已有数据" in twice.stderr
