"""Edge benchmark (issue 10 item 5): how fast a UTF-16 body hiding a DTD is refused, against a plain 400, in one run.

    .venv/bin/python bench/edge.py [--requests 300] [--flood 200]

One server (`create_app`, SQLite in a temporary directory) on localhost; one keep-alive client in the same
process. Measured, interleaved so load drifts hit every variant alike:
  plain      POST without msg_signature/timestamp/nonce: refused before the body is read (the floor)
  malformed  a 2.8 KB UTF-8 body that is not XML, with well-formed parameters: read and parse-refused
  utf16_dtd  the issue's attack: a 2.8 KB UTF-16 body whose DOCTYPE declares nested entities
Then the cost the old code paid for that body (its byte regex misses UTF-16, so expat expanded the entities on
the event loop), measured directly; and a genuine signed `帮助` callback's latency alone and during a flood of
utf16_dtd requests (--flood per second) sent by a separate process. Prints medians, p99s and ratios against `plain`.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing
import statistics
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from aiohttp.test_utils import TestServer  # noqa: E402

from bot.app import create_app  # noqa: E402
from bot.config.settings import load_config  # noqa: E402
from bot.sandbox.driver import CallbackDriver, next_msg_id, text_xml  # noqa: E402

CORP_ID, AGENT_ID, TOKEN = "wwbenchcorp00001", 1000002, "BenchToken1"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
SECRET = "bench-secret-value"
# Nine levels of ten references each: 10^8 expansions if a parser let it run (expat's amplification guard
# stops it after several MB); 1.4 K characters, 2.8 KB in UTF-16.
BOMB = ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE xml [<!ENTITY a "' + "a" * 1000 + '">'
        + "".join(f'<!ENTITY {chr(98 + n)} "{("&" + chr(97 + n) + ";") * 10}">' for n in range(8))
        + ']><xml><Encrypt>&i;</Encrypt></xml>').encode("utf-16")


def config(db_url: str):
    env = {"WECOM_CORP_ID": CORP_ID, "WECOM_AGENT_ID": str(AGENT_ID), "WECOM_SECRET": SECRET, "WECOM_TOKEN": TOKEN,
           "WECOM_AES_KEY": AES_KEY, "WECOM_API_BASE": "http://127.0.0.1:9/cgi-bin/", "DATABASE_URL": db_url}
    return load_config(env=env).replace(server={"public_url": "http://127.0.0.1"}, jobs={"enabled": False})


async def timed(http: aiohttp.ClientSession, url: str, body: bytes, params: dict | None = None) -> tuple[float, int]:
    started = time.perf_counter()
    async with http.post(url, params=params, data=body, headers={"Content-Type": "text/xml"}) as resp:
        await resp.read()
    return (time.perf_counter() - started) * 1000, resp.status


def well_formed_params() -> dict:
    return {"msg_signature": "0" * 40, "timestamp": str(int(time.time())), "nonce": "1"}


async def refusals(http, driver, url: str, n: int) -> dict[str, list[float]]:
    variants = {"plain": (b"<xml/>", None), "malformed": (b"not xml " * 350, well_formed_params()),
                "utf16_dtd": (BOMB, well_formed_params())}
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(n):
        for name, (body, params) in variants.items():
            ms, status = await timed(http, url, body, params)
            assert status == 400, (name, status)
            times[name].append(ms)
    return times


def old_parse_cost(rounds: int = 5) -> list[float]:
    """What the old code spent on the body: no regex match in UTF-16, so ET.fromstring expanded the entities."""
    costs = []
    for _ in range(rounds):
        started = time.perf_counter()
        try:
            ET.fromstring(BOMB)
        except ET.ParseError:
            pass  # expat's amplification guard ends it, after the work is done
        costs.append((time.perf_counter() - started) * 1000)
    return costs


def new_refusal_cost(rounds: int = 2000) -> float:
    """Median ms the product spends refusing that body (bot.edge.crypto.envelope_encrypt), measured the same way."""
    from bot.edge.crypto import CryptoError, envelope_encrypt
    costs = []
    for _ in range(rounds):
        started = time.perf_counter()
        try:
            envelope_encrypt(BOMB)
        except CryptoError:
            pass
        costs.append((time.perf_counter() - started) * 1000)
    return statistics.median(costs)


async def genuine(http, driver: CallbackDriver, n: int) -> list[float]:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        delivery = await driver.post(text_xml(CORP_ID, "newbie", "帮助", next_msg_id(), AGENT_ID))
        assert delivery.status == 200 and delivery.reply, delivery.status
        times.append((time.perf_counter() - started) * 1000)
    return times


def flood(url: str, per_second: int) -> None:
    """A separate process (as a real attacker is) posting the UTF-16 DTD body ``per_second`` times a second."""
    async def run() -> None:
        params = {"msg_signature": "0" * 40, "timestamp": str(int(time.time())), "nonce": "1"}
        async with aiohttp.ClientSession() as http:
            while True:
                asyncio.ensure_future(timed(http, url, BOMB, params))
                await asyncio.sleep(1 / per_second)
    asyncio.run(run())


def p99(values: list[float]) -> float:
    return sorted(values)[max(0, int(len(values) * 0.99) - 1)]


async def main(args) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(config(f"sqlite:///{tmp}/bench.sqlite3"))
        server = TestServer(app, port=0)
        await server.start_server()
        url = str(server.make_url("/wecom/callback"))
        async with aiohttp.ClientSession() as http:
            driver = CallbackDriver(url, TOKEN, AES_KEY, CORP_ID, AGENT_ID, http)
            await genuine(http, driver, 20)  # warm-up: connections, templates, database pages
            times = await refusals(http, driver, url, args.requests)
            alone = await genuine(http, driver, args.requests)
            attacker = multiprocessing.Process(target=flood, args=(url, args.flood), daemon=True)
            attacker.start()
            await asyncio.sleep(1)
            under_flood = await genuine(http, driver, args.requests)
            attacker.terminate()
            attacker.join()
        await server.close()
    report(times, (old_parse_cost(), new_refusal_cost()), alone, under_flood, args)


def report(times, old, alone, under_flood, args) -> None:
    base = statistics.median(times["plain"])
    print(f"{args.requests} requests per variant, interleaved; BOMB is {len(BOMB)} bytes of UTF-16")
    for name, values in times.items():
        med = statistics.median(values)
        print(f"  {name:10} median {med:6.2f} ms  p99 {p99(values):6.2f} ms  max {max(values):6.2f} ms"
              f"  ({med / base:4.2f}x plain)")
    old, new = statistics.median(old[0]), old[1]
    print(f"  in-process, that body: old path (ET.fromstring) {old:.1f} ms median, work the event loop did before"
          f" the signature was checked; new refusal {new * 1000:.1f} µs median ({old / new:.0f}x less)")
    print(f"  genuine 帮助 alone:             median {statistics.median(alone):6.2f} ms  p99 {p99(alone):6.2f} ms")
    print(f"  genuine 帮助 under {args.flood}/s flood: median {statistics.median(under_flood):6.2f} ms  "
          f"p99 {p99(under_flood):6.2f} ms  (attacker in its own process; median ratio "
          f"{statistics.median(under_flood) / statistics.median(alone):.2f}x, p99 ratio {p99(under_flood) / p99(alone):.2f}x)")


if __name__ == "__main__":
    logging.basicConfig(level=logging.ERROR)  # one WARNING line per refusal would drown the figures
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--flood", type=int, default=200, help="attack requests per second during the last phase")
    asyncio.run(main(parser.parse_args()))
