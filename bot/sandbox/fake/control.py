"""/_sandbox/transfers/...: the demo's and tests' controls over pending handovers (not part of WeCom).

- POST /_sandbox/transfers/settle: end every waiting transfer now, as if its 24 hours were over
- POST /_sandbox/transfers/script {external_userid, status: 3|4}: that customer's next transfer is refused (3)
  or fails because the takeover member is full (4)
- GET /_sandbox/transfers: every transfer and its status
- POST /_sandbox/events/take: the callback events the fake has queued (e.g. transfer_fail), removed from the queue
"""
from __future__ import annotations

from dataclasses import asdict

from aiohttp import web

from bot.sandbox.fake.handover import FAIL_REASONS


def add_control_routes(app: web.Application, fake_key: web.AppKey) -> None:
    async def settle(request: web.Request) -> web.Response:
        return web.json_response({"settled": request.app[fake_key].handover.settle(now=True)})

    async def script(request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            body = None
        external_userid = body.get("external_userid") if isinstance(body, dict) else None
        status = body.get("status") if isinstance(body, dict) else None
        if not isinstance(external_userid, str) or not external_userid or status not in FAIL_REASONS:
            return web.json_response({"error": "external_userid and status 3 or 4 are required"}, status=400)
        request.app[fake_key].handover.script(external_userid, status)
        return web.json_response({"external_userid": external_userid, "status": status})

    async def transfers(request: web.Request) -> web.Response:
        return web.json_response([asdict(t) for t in request.app[fake_key].handover.transfers])

    async def take_events(request: web.Request) -> web.Response:
        events = request.app[fake_key].handover.take_events()
        return web.json_response([{"event": event, "fields": fields} for event, fields in events])

    app.router.add_post("/_sandbox/transfers/settle", settle)
    app.router.add_post("/_sandbox/transfers/script", script)
    app.router.add_get("/_sandbox/transfers", transfers)
    app.router.add_post("/_sandbox/events/take", take_events)
