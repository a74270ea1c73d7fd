"""The property-based run over /api/v1/openapi.json: schemathesis generates requests from the document (valid
ones, and ones that break it: wrong types, missing fields, odd strings), sends them with a write token to a live
server holding the small agency, and every answer must be below 500. A bounded, derandomized run (the same
examples every time, so CI is stable at any hour) of a few hundred requests, 10-20 s."""
from __future__ import annotations

import asyncio
import os
from collections import Counter

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode

from tests.api_kit import call, make_token, stack_with
from tests.conftest import run_sync, stop_stack
from tests.factories import small_agency

# ZF_API_EXAMPLES=3000 runs a longer, random (not derandomized) hunt locally; CI runs the bounded default.
EXAMPLES = int(os.environ.get("ZF_API_EXAMPLES") or 300)
HUNT = "ZF_API_EXAMPLES" in os.environ


def _probe(document: dict, base_url: str, token: str) -> Counter:
    """Send EXAMPLES generated requests (and the document's examples); the statuses seen, overall and by operation."""
    schema = schemathesis.openapi.from_dict(document)
    cases = st.one_of(schema.as_strategy(), schema.as_strategy(generation_mode=GenerationMode.NEGATIVE))
    seen: Counter = Counter()
    failures: list[str] = []

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=not HUNT, print_blob=False,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=cases)
    def probe(case) -> None:
        response = case.call(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        seen[response.status_code] += 1
        seen[f"{case.method} {case.path} {response.status_code}"] += 1
        if response.status_code >= 500:
            failures.append(f"{case.method} {case.formatted_path} {case.query} {str(case.body)[:300]} -> "
                            f"{response.status_code} {response.text[:300]}")
    probe()
    assert not failures, "\n".join(failures[:10])
    return seen


async def test_generated_requests_never_meet_a_server_error(db_url, fake_server):
    stack = await stack_with(db_url, fake_server, rate_limit=100000)
    try:
        await run_sync(stack, small_agency)
        token = await make_token(stack, "write")
        status, document, _ = await call(stack, "GET", "/api/v1/openapi.json")
        assert status == 200
        seen = await asyncio.to_thread(_probe, document, stack.url("/"), token)
        statuses = {key: count for key, count in seen.items() if isinstance(key, int)}
        assert sum(statuses.values()) >= EXAMPLES and max(statuses) < 500
        # reads and writes both succeed, and refused items are answered item by item
        assert seen["GET /api/v1/clients 200"] and seen[422]
        assert sum(count for key, count in seen.items() if str(key).startswith("PUT") and key.endswith(" 200"))
    finally:
        await stop_stack(stack)
