"""Secrets never reach a log line: the redaction filter, and the suite-wide check that guards every test."""
import logging

from bot.logs import RedactFilter
from tests.conftest import SECRET, leaked_secrets


def _record(name: str, msg: str) -> logging.LogRecord:
    return logging.LogRecord(name, logging.INFO, __file__, 1, msg, None, None)


def test_suite_check_catches_a_secret_in_our_own_log_line():
    assert leaked_secrets([_record("bot.wecom", f"calling with {SECRET}")], [SECRET])


def test_suite_check_catches_a_token_even_if_a_query_parameter_hides_it_elsewhere():
    token = "T" * 40
    assert leaked_secrets([_record("bot.edge.callback", f"token {token} rejected")], [token])
    assert not leaked_secrets([_record("aiohttp.access", f'"GET /cgi-bin/x?access_token={token}"')], [token])


def test_redact_masks_configured_secrets_and_secret_query_parameters():
    f = RedactFilter(["my-app-secret-123"])
    line = f.redact("GET /cgi-bin/gettoken?corpid=ww1&corpsecret=abc&x=1 my-app-secret-123 /sidebar?code=XYZ")
    assert "abc" not in line and "my-app-secret-123" not in line and "XYZ" not in line
    assert "corpid=ww1" in line


def test_filter_rewrites_the_record_for_every_handler():
    f = RedactFilter(["hunter2-secret"])
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "pw=%s", ("hunter2-secret",), None)
    assert f.filter(record) is True
    assert record.getMessage() == "pw=***"
