"""Issue 10 item 5, the callback edge: only UTF-8 without BOM, no DTD in any encoding, whole bodies however they
are split, bounded numbers, and a server that drops connections which never finish their headers or bodies.

Every refusal is a 4xx with a reason and leaves no traceback in the log."""
import asyncio

import pytest
from aiohttp.test_utils import TestServer

from bot.app import create_app
from bot.sandbox.driver import next_msg_id, text_xml
from tests.conftest import AGENT_ID, CORP_ID, make_config
from tests.edge_kit import assert_no_traceback, raw_exchange, request_bytes

BOMB = ('<?xml version="1.0" encoding="UTF-16"?>'
        '<!DOCTYPE xml [<!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">'
        + "".join(f'<!ENTITY {chr(98 + n)} "{("&" + chr(97 + n) + ";") * 10}">' for n in range(8))
        + ']><xml><ToUserName>x</ToUserName><Encrypt>&i;</Encrypt></xml>')


def _help(stack):
    return stack.driver.envelope(text_xml(CORP_ID, "newbie", "帮助", next_msg_id(), AGENT_ID))


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
async def test_a_utf16_or_utf32_body_hiding_a_dtd_is_refused(stack, caplog, encoding):
    params, _ = _help(stack)
    delivery = await stack.driver.post_raw(params, BOMB.encode(encoding))
    assert delivery.status == 400 and "UTF-8" in delivery.body
    assert_no_traceback(caplog)


@pytest.mark.parametrize("case", ["bom", "declared_latin1", "declared_utf16", "latin1_byte"])
async def test_bodies_that_are_not_plain_utf8_are_refused(stack, caplog, case):
    params, body = _help(stack)
    raw = {"bom": b"\xef\xbb\xbf" + body.encode(),
           "declared_latin1": b'<?xml version="1.0" encoding="ISO-8859-1"?>' + body.encode(),
           "declared_utf16": b'<?xml version="1.0" encoding="UTF-16"?>' + body.encode(),
           "latin1_byte": body.replace("<xml>", "<xml><Note>caf\xe9</Note>").encode("latin-1")}[case]
    delivery = await stack.driver.post_raw(params, raw)
    assert delivery.status == 400 and delivery.reply is None
    assert_no_traceback(caplog)


async def test_a_utf8_prolog_is_fine(stack, caplog):
    params, body = _help(stack)
    delivery = await stack.driver.post_raw(params, '<?xml version="1.0" encoding="utf-8"?>' + body)
    assert delivery.status == 200 and "帮助" in delivery.reply["Content"]


@pytest.mark.parametrize("doc", [
    '<!DOCTYPE xml><xml><Encrypt>x</Encrypt></xml>',                       # a DOCTYPE, even an empty one
    '<!DOCTYPE xml SYSTEM "http://127.0.0.1:9/x.dtd"><xml><Encrypt>x</Encrypt></xml>',
    '<xml><Encrypt>&undefined;</Encrypt></xml>',
    "<xml>" + "<a>" * 5000 + "</a>" * 5000 + "</xml>",                       # deep nesting
])
async def test_dtds_entities_and_deep_nesting_are_refused_before_the_signature(stack, caplog, doc):
    params, _ = _help(stack)
    delivery = await stack.driver.post_raw(params, doc)
    assert delivery.status == 400
    assert_no_traceback(caplog)


@pytest.mark.parametrize("name, value", [
    ("timestamp", "²"), ("timestamp", "٣٣٣٣٣٣٣٣٣٣"), ("timestamp", "9" * 4301), ("timestamp", "-1"),
    ("timestamp", " 1700000000"), ("nonce", "n" * 5000), ("nonce", "a b"), ("msg_signature", "z" * 40),
    ("msg_signature", "f" * 4000),
])
async def test_malformed_numbers_and_parameters_are_400_on_post_and_get(stack, caplog, name, value):
    params, body = _help(stack)
    delivery = await stack.driver.post_raw({**params, name: value}, body)
    assert delivery.status == 400 and name in delivery.body
    get_params = {**params, "echostr": "abc", name: value}
    async with stack.http.get(stack.driver.url, params=get_params) as resp:
        assert resp.status == 400 and name in await resp.text()
    assert_no_traceback(caplog)


def _signed_request(stack, chunked: bool = False) -> tuple[bytes, str]:
    params, body = _help(stack)
    data = body.encode()
    headers = {"Content-Type": "text/xml"}
    if chunked:
        headers["Transfer-Encoding"] = "chunked"
        data = b"".join(f"{len(p):x}\r\n".encode() + p + b"\r\n" for p in (data[:40], data[40:200], data[200:]))
        data += b"0\r\n\r\n"
        return request_bytes("POST", "/wecom/callback", params, b"", headers) + data, params["nonce"]
    return request_bytes("POST", "/wecom/callback", params, data, headers), params["nonce"]


@pytest.mark.parametrize("chunked", [False, True])
async def test_a_callback_split_into_three_segments_with_pauses_is_answered(stack, caplog, chunked):
    request, nonce = _signed_request(stack, chunked)
    cut = request.index(b"\r\n\r\n") + 4
    pieces = [request[:cut + 30], request[cut + 30:cut + 180], request[cut + 180:]]  # the body in three parts
    answer = await raw_exchange(stack.server, pieces, pause=0.3)
    assert answer.status == 200
    reply = stack.driver.open_reply(answer.text, nonce)
    assert "帮助" in reply["Content"]
    assert_no_traceback(caplog)


async def test_an_oversize_body_without_content_length_is_413(stack, caplog):
    params, _ = _help(stack)
    body = b"<xml><Encrypt>" + b"A" * 70000 + b"</Encrypt></xml>"
    chunks = [f"{len(body[i:i + 8192]):x}\r\n".encode() + body[i:i + 8192] + b"\r\n" for i in range(0, len(body), 8192)]
    head = request_bytes("POST", "/wecom/callback", params, b"", {"Transfer-Encoding": "chunked"})
    answer = await raw_exchange(stack.server, [head, *chunks, b"0\r\n\r\n"])
    assert answer.status == 413
    assert_no_traceback(caplog)


@pytest.fixture
async def impatient(db_url):
    """A server with short edge timeouts (1 s), so the test sees them act."""
    config = make_config(db_url).replace(server={"public_url": "http://testserver", "idle_timeout": 1,
                                                 "body_timeout": 1})
    server = TestServer(create_app(config))
    await server.start_server()
    yield server
    await server.close()


async def _closed_by_server(reader, within: float = 10) -> bytes:
    """What the server sent before closing (a generous bound, so a hung connection fails instead of hanging)."""
    return await asyncio.wait_for(reader.read(), within)


async def test_a_connection_that_never_finishes_its_headers_is_closed(impatient, caplog):
    reader, writer = await asyncio.open_connection(impatient.host, impatient.port)
    writer.write(b"POST /wecom/callback HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    await writer.drain()
    assert await _closed_by_server(reader) == b""  # closed with nothing sent: no request was ever complete
    writer.close()
    assert_no_traceback(caplog)


async def test_an_idle_keep_alive_connection_is_closed(impatient, caplog):
    reader, writer = await asyncio.open_connection(impatient.host, impatient.port)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    await writer.drain()
    first = await _closed_by_server(reader)  # the answer, then EOF once the connection sat idle
    writer.close()
    assert first.startswith(b"HTTP/1.1 200")


async def test_a_body_that_trickles_in_is_408(impatient, caplog):
    reader, writer = await asyncio.open_connection(impatient.host, impatient.port)
    query = "msg_signature=" + "a" * 40 + "&timestamp=1700000000&nonce=1"
    writer.write(f"POST /wecom/callback?{query} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 500\r\n\r\n<xml>"
                 .encode())
    await writer.drain()
    status_line = await asyncio.wait_for(reader.readline(), 10)
    writer.close()
    assert status_line.startswith(b"HTTP/1.1 408")
    assert_no_traceback(caplog)
