"""Callback-path benchmark: throughput and latency of the real edge against two baselines, in one run.

    apt-get install wrk        # the load generator (C, one thread: it leaves the other core to the server)
    .venv/bin/python bench/callback.py [--seconds 5] [--concurrency 16] [--rounds 3]

Each variant runs as its own server process on localhost; wrk replays pre-encrypted requests, each with its own
MsgId, so nothing is a duplicate:
  bare     an aiohttp handler that reads the body and answers 200 (the HTTP floor)
  minimal  a hand-written pipeline: verify signature + decrypt + parse + one INSERT, then 200
  full     the product: `create_app` with the real callback path; an encrypted `帮助` with a unique MsgId
           each time, answered with an encrypted, signed passive reply (verified here for a sample)
All use the same SQLite settings (WAL, synchronous FULL, IMMEDIATE). Prints req/s, p50/p99 and the ratios.
"""
from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402

CORP_ID, AGENT_ID, TOKEN = "wwbenchcorp00001", 1000002, "BenchToken1"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
SECRET = "bench-secret-value"


# ---- servers ---------------------------------------------------------------------------------------

def serve_bare(port: int, db_url: str) -> None:
    async def handler(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(text="")
    app = web.Application()
    app.router.add_post("/wecom/callback", handler)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def serve_minimal(port: int, db_url: str) -> None:
    """Verify + decrypt + parse + one insert, written directly against sqlite3 and wechatpy's cipher."""
    import base64
    import sqlite3
    import struct
    import xml.etree.ElementTree as ET

    from wechatpy.crypto import PrpCrypto

    conn = sqlite3.connect(db_url[len("sqlite:///"):], isolation_level=None)
    for pragma in ("journal_mode=wal", "synchronous=FULL", "busy_timeout=10000"):
        conn.execute(f"PRAGMA {pragma}")
    conn.execute("CREATE TABLE IF NOT EXISTS minimal_inbox (key TEXT PRIMARY KEY, received REAL)")
    cipher = PrpCrypto(base64.b64decode(AES_KEY + "=")).cipher

    async def handler(request: web.Request) -> web.Response:
        q = request.query
        encrypt = ET.fromstring(await request.read()).findtext("Encrypt")
        joined = "".join(sorted([TOKEN, q["timestamp"], q["nonce"], encrypt]))
        if not hmac.compare_digest(hashlib.sha1(joined.encode()).hexdigest(), q["msg_signature"]):
            return web.Response(status=403)
        plain = cipher.decrypt(base64.b64decode(encrypt))
        content = plain[16:-plain[-1]]
        (length,) = struct.unpack(">I", content[:4])
        msg = ET.fromstring(content[4:4 + length])
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO minimal_inbox VALUES (?, ?) ON CONFLICT DO NOTHING",
                     (msg.findtext("MsgId"), time.time()))
        conn.execute("COMMIT")
        return web.Response(text="")

    app = web.Application()
    app.router.add_post("/wecom/callback", handler)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def serve_full(port: int, db_url: str) -> None:
    sys.setswitchinterval(float(os.environ.get("SWI", "0.005")))
    from bot.app import create_app
    from bot.config.settings import load_config
    env = {"WECOM_CORP_ID": CORP_ID, "WECOM_AGENT_ID": str(AGENT_ID), "WECOM_SECRET": SECRET, "WECOM_TOKEN": TOKEN,
           "WECOM_AES_KEY": AES_KEY, "DATABASE_URL": db_url, "WECOM_API_BASE": "http://127.0.0.1:9/cgi-bin/"}
    config = load_config(env=env)
    web.run_app(create_app(config), host="127.0.0.1", port=port, print=None, access_log=None)


SERVERS = {"bare": serve_bare, "minimal": serve_minimal, "full": serve_full}


def prepare_database(db_url: str) -> None:
    import models
    from bot import migrate
    from bot.config.settings import DatabaseConfig
    from bot.db import open_database
    database = open_database(DatabaseConfig(url=db_url))
    models.db.initialize(database)
    with database.connection_context():
        migrate.upgrade(database)
        models.Staff.create(name="压测员", role="staff", wecom_userid="benchuser")


# ---- load ------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def envelopes(n: int) -> list[tuple[dict, str]]:
    from bot.sandbox.driver import CallbackDriver, next_msg_id, text_xml
    driver = CallbackDriver("", TOKEN, AES_KEY, CORP_ID, AGENT_ID, None)
    return [driver.envelope(text_xml(CORP_ID, "benchuser", "帮助", next_msg_id(), AGENT_ID)) for _ in range(n)]


async def wait_up(url: str) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(200):
            try:
                async with session.post(url, data=b"<xml/>"):
                    return
            except aiohttp.ClientError:
                await asyncio.sleep(0.05)
    raise RuntimeError(f"server at {url} did not start")


async def load(url: str, bodies: list[tuple[dict, str]], concurrency: int, check_reply: bool) -> dict:
    from bot.sandbox.driver import CallbackDriver
    latencies: list[float] = []
    queue = list(reversed(bodies))
    checked = 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        driver = CallbackDriver(url, TOKEN, AES_KEY, CORP_ID, AGENT_ID, session)

        async def worker() -> None:
            nonlocal checked
            while queue:
                params, body = queue.pop()
                started = time.perf_counter()
                async with session.post(url, params=params, data=body) as resp:
                    text = await resp.text()
                latencies.append(time.perf_counter() - started)
                if resp.status != 200:
                    raise RuntimeError(f"HTTP {resp.status}: {text[:100]}")
                if check_reply and checked < 20:
                    checked += 1
                    assert "帮助" in driver.open_reply(text, params["nonce"])["Content"]

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {"rps": len(latencies) / elapsed, "p50": statistics.median(latencies) * 1000,
            "p99": latencies[int(len(latencies) * 0.99) - 1] * 1000}


WRK_SCRIPT = """
local reqs, i = {}, 0
init = function(args)
  for line in io.lines(args[1]) do
    local path, body = line:match("([^\t]*)\t(.*)")
    reqs[#reqs + 1] = wrk.format("POST", path, {["Content-Type"] = "text/xml"}, body)
  end
end
request = function()
  i = i % #reqs + 1
  return reqs[i]
end
"""


def write_requests(path: Path, n: int) -> None:
    from urllib.parse import urlencode
    with path.open("w") as out:
        for params, body in envelopes(n):
            out.write(f"/wecom/callback?{urlencode(params)}\t{body}\n")


def wrk(url: str, script: Path, requests: Path, seconds: int, concurrency: int) -> dict:
    out = subprocess.run(["wrk", "-t1", f"-c{concurrency}", f"-d{seconds}s", "--latency", "-s", str(script), url,
                          "--", str(requests)], capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:
        raise RuntimeError("some requests were refused:\n" + out)

    def ms(label: str) -> float:
        value = next(line.split()[1] for line in out.splitlines() if line.strip().startswith(label))
        scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
        unit = value.lstrip("0123456789.")
        return float(value[:-len(unit)]) * scale[unit]
    rps = float(next(line.split()[1] for line in out.splitlines() if line.startswith("Requests/sec")))
    return {"rps": rps, "p50": ms("50%"), "p99": ms("99%")}


def run_variant(name: str, seconds: int, concurrency: int, workdir: Path, requests: Path) -> dict:
    db_url = f"sqlite:///{workdir / (name + '.sqlite3')}"
    if name == "full":
        prepare_database(db_url)
    port = free_port()
    proc = subprocess.Popen([sys.executable, __file__, "--serve", name, "--port", str(port), "--db", db_url],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/wecom/callback"
    try:
        asyncio.run(wait_up(url))
        # Correctness first: a sample of fresh requests, each passive reply decrypted and verified.
        asyncio.run(load(url, envelopes(200), concurrency, name == "full"))
        script = workdir / "replay.lua"
        script.write_text(WRK_SCRIPT)
        return wrk(f"http://127.0.0.1:{port}", script, requests, seconds, concurrency)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--serve", choices=SERVERS)
    parser.add_argument("--port", type=int)
    parser.add_argument("--db")
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--unique", type=int, default=60000, help="distinct pre-encrypted requests per round")
    args = parser.parse_args()
    if args.serve:
        SERVERS[args.serve](args.port, args.db)
        return
    import importlib.metadata as md
    versions = {p: md.version(p) for p in ("aiohttp", "peewee", "wechatpy", "cryptography")}
    print(f"python {platform.python_version()} · " + " · ".join(f"{k} {v}" for k, v in versions.items())
          + f" · sqlite {__import__('sqlite3').sqlite_version} · {os.cpu_count()} cores · wrk -t1 -c{args.concurrency}"
          + f" -d{args.seconds}s × {args.rounds} rounds")
    results: dict[str, list[dict]] = {name: [] for name in SERVERS}
    with tempfile.TemporaryDirectory() as tmp:
        for round_no in range(args.rounds):  # interleaved, so drift in machine load hits every variant
            workdir = Path(tmp) / str(round_no)
            workdir.mkdir()
            requests = workdir / "requests.txt"
            write_requests(requests, args.unique)
            for name in SERVERS:
                results[name].append(run_variant(name, args.seconds, args.concurrency, workdir, requests))
    best = {name: max(runs, key=lambda r: r["rps"]) for name, runs in results.items()}
    print("| variant | req/s (best of rounds) | p50 ms | p99 ms | all rounds req/s |")
    print("|---|---:|---:|---:|---|")
    for name, r in best.items():
        rounds = ", ".join(f"{x['rps']:.0f}" for x in results[name])
        print(f"| {name} | {r['rps']:.0f} | {r['p50']:.2f} | {r['p99']:.2f} | {rounds} |")
    print(f"full / bare throughput: {best['full']['rps'] / best['bare']['rps']:.2f}×")
    print(f"full / minimal throughput: {best['full']['rps'] / best['minimal']['rps']:.2f}× (aim ≥ 0.8×)")


if __name__ == "__main__":
    main()
