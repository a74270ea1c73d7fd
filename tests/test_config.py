"""Configuration: environment overrides, and one clear line for every wrong or missing value."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config.settings import ConfigError, load_config
from tests.conftest import AES_KEY

ROOT = Path(__file__).resolve().parent.parent
GOOD_ENV = {"WECOM_CORP_ID": "wwcorp", "WECOM_AGENT_ID": "1000002", "WECOM_SECRET": "s3cr3t-value",
            "WECOM_TOKEN": "Token123", "WECOM_AES_KEY": AES_KEY, "DATABASE_URL": "sqlite:///var/x.sqlite3"}


def test_environment_fills_the_secrets_and_the_database():
    config = load_config(env=GOOD_ENV)
    assert config.wecom.corp_id == "wwcorp" and config.wecom.agent_id == 1000002
    assert config.database.url == "sqlite:///var/x.sqlite3"
    assert "s3cr3t" not in repr(config)  # secrets are kept out of reprs


def test_every_setting_in_config_yaml_has_a_comment():
    for line in (ROOT / "config.yaml").read_text(encoding="utf-8").splitlines():
        if line.startswith("  ") and ":" in line and not line.strip().startswith("#"):
            assert "#" in line, f"setting without a comment: {line.strip()}"


@pytest.mark.parametrize("var, value, expected", [
    ("WECOM_AES_KEY", AES_KEY[:42], "wecom.aes_key (WECOM_AES_KEY): must be 43 characters, got 42"),
    ("WECOM_AES_KEY", "!" * 43, "wecom.aes_key (WECOM_AES_KEY): is not base64"),
    ("WECOM_AGENT_ID", "abc", "wecom.agent_id (WECOM_AGENT_ID): must be a whole number"),
    ("WECOM_CORP_ID", "", "wecom.corp_id (WECOM_CORP_ID): missing"),
    ("WECOM_SECRET", "", "wecom.secret (WECOM_SECRET): missing"),
    ("WECOM_TOKEN", "has spaces", "wecom.token (WECOM_TOKEN)"),
    ("DATABASE_URL", "mysql://x", "database.url (DATABASE_URL): must be sqlite:///path or postgresql://"),
    ("WECOM_API_BASE", "ftp://x", "wecom.api_base (WECOM_API_BASE): must be an http(s) URL"),
])
def test_bad_values_name_the_key(var, value, expected, tmp_path):
    env = {**GOOD_ENV, var: value}
    if value == "":
        cfg = tmp_path / "c.yaml"
        cfg.write_text("wecom: {}\n", encoding="utf-8")
        env.pop(var)
        with pytest.raises(ConfigError) as err:
            load_config(cfg, env=env)
    else:
        with pytest.raises(ConfigError) as err:
            load_config(env=env)
    assert str(err.value).startswith(expected)
    assert "\n" not in str(err.value)


def test_unknown_setting_and_section_are_refused(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("wecom:\n  corpid: x\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^wecom.corpid: unknown setting"):
        load_config(cfg, env=GOOD_ENV)
    cfg.write_text("wechat:\n  x: 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^wechat: unknown section"):
        load_config(cfg, env=GOOD_ENV)


def test_broken_yaml_names_the_line(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("server:\n  port: [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML at line"):
        load_config(cfg, env=GOOD_ENV)


def test_reply_deadline_must_leave_room_before_wecom_gives_up(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("wecom:\n  reply_deadline: 6\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="wecom.reply_deadline"):
        load_config(cfg, env=GOOD_ENV)


def test_serve_with_a_bad_key_prints_one_line_and_no_traceback():
    env = {k: v for k, v in os.environ.items() if not k.startswith("WECOM_")}
    env.update({**GOOD_ENV, "WECOM_AES_KEY": "short"})
    proc = subprocess.run([sys.executable, "-m", "bot", "serve", "--port", "18099"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "wecom.aes_key (WECOM_AES_KEY)" in lines[0]
    assert "Traceback" not in proc.stderr and "short" not in proc.stderr
