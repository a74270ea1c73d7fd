"""config.yaml + environment -> frozen dataclasses, validated once, with one-line errors.

This is the only module that reads secrets from the environment.
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping
from zoneinfo import ZoneInfo

import yaml

from bot.config.edge import GENERATE, edge_checks  # limits of the HTTP edge: timeouts, proxies, sessions, uploads
from bot.config.filings import FilingCalendar, build_filings  # the filing calendar's section lives there
from bot.config.jobs import JobsConfig, build_jobs, tz_ok  # the nested `jobs` section lives there
from bot.config.problems import db_url_problem, is_http_url, wecom_problem  # single-value checks
from bot.config.limits import ApiConfig, BindingConfig, KnowledgeConfig, limit_checks  # abuse limits and retention

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "config.yaml"

# (section, key) <- environment variable
ENV_OVERRIDES = {
    ("wecom", "corp_id"): "WECOM_CORP_ID",
    ("wecom", "agent_id"): "WECOM_AGENT_ID",
    ("wecom", "secret"): "WECOM_SECRET",
    ("wecom", "token"): "WECOM_TOKEN",
    ("wecom", "aes_key"): "WECOM_AES_KEY",
    ("wecom", "api_base"): "WECOM_API_BASE",
    ("database", "url"): "DATABASE_URL",
    ("sidebar", "session_secret"): "SESSION_SECRET",
    ("server", "public_url"): "PUBLIC_URL",
    ("admin", "metrics_token"): "METRICS_TOKEN",
}
MIN_SESSION_SECRET = 32  # bytes: an HMAC-SHA256 key shorter than its output is the weak link


class ConfigError(Exception):
    """A setting is missing or wrong; the message names the key and the problem in one line."""


@dataclass(frozen=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = ""
    log_level: str = "INFO"
    shutdown_timeout: float = 10.0
    idle_timeout: float = 15.0  # a connection without a complete request (headers included) this long is closed
    body_timeout: float = 10.0  # a callback or JSON body must arrive within this many seconds
    trusted_proxies: str = ""  # comma-separated proxy addresses whose X-Forwarded-For names the client


@dataclass(frozen=True)
class WeComConfig:
    corp_id: str = ""
    agent_id: int = 0
    secret: str = field(default="", repr=False)
    token: str = field(default="", repr=False)
    aes_key: str = field(default="", repr=False)
    api_base: str = "https://qyapi.weixin.qq.com/cgi-bin/"
    request_timeout: float = 10.0
    max_retries: int = 3
    backoff_base: float = 0.5
    token_refresh_margin: int = 300
    oauth_url: str = "https://open.weixin.qq.com/connect/oauth2/authorize"
    sso_url: str = "https://login.work.weixin.qq.com/wwlogin/sso/login"  # 企业微信 Web 登录 (QR) for the console
    callback_path: str = "/wecom/callback"
    callback_max_skew: int = 300
    callback_max_body: int = 65536
    reply_deadline: float = 3.0
    callback_inbox_retention: int = 86400  # seconds a callback's dedupe row is kept (checked in limits.py)
    callback_inbox_prune_interval: int = 600
    callback_inbox_prune_batch: int = 1000


@dataclass(frozen=True)
class DatabaseConfig:
    url: str = "sqlite:///var/zhangfang.sqlite3"
    sqlite_synchronous: str = "FULL"
    busy_timeout_ms: int = 10000
    threads: int = 4


@dataclass(frozen=True)
class AgencyConfig:
    name: str = "示例财税代理有限公司"
    timezone: str = "Asia/Shanghai"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class SidebarConfig:
    session_secret: str = field(default="", repr=False)
    session_ttl: int = 43200
    jssdk_url: str = "/static/vendor/wecom-jssdk-2.4.4.js"
    upload_dir: str = "var/uploads"  # follow-up attachments; relative paths are under the project directory
    upload_max_mb: int = 10
    upload_max_megapixels: int = 40  # images larger than this (width x height) are refused: decompression bombs
    upload_daily_files: int = 100  # attachments one member may upload per day (agency time)
    upload_daily_mb: int = 300  # and their total size
    signin_max_failures: int = 10  # failed OAuth code redemptions per client address within signin_window
    signin_window: int = 600  # seconds


@dataclass(frozen=True)
class AdminConfig:
    idle_timeout: int = 1800  # seconds without a request before a console session ends
    max_session: int = 43200  # seconds a console session lasts at most, however active
    page_size: int = 50  # rows per console table page
    metrics_token: str = field(default="", repr=False)  # bearer token for /metrics; empty = /metrics is off (404)
    import_max_mb: int = 50  # largest XLSX/CSV file the console's 导入导出 page accepts


@dataclass(frozen=True)
class RenderConfig:
    font_path: str = ""


@dataclass(frozen=True)
class DemoConfig:
    port: int = 8080
    sandbox_port: int = 8081
    database: str = "var/demo.sqlite3"
    token_ttl: int = 7200


@dataclass(frozen=True)
class Config:
    server: ServerConfig = ServerConfig()
    wecom: WeComConfig = WeComConfig()
    database: DatabaseConfig = DatabaseConfig()
    agency: AgencyConfig = AgencyConfig()
    sidebar: SidebarConfig = SidebarConfig()
    admin: AdminConfig = AdminConfig()
    render: RenderConfig = RenderConfig()
    jobs: JobsConfig = JobsConfig()
    filings: FilingCalendar = FilingCalendar()
    binding: BindingConfig = BindingConfig()
    knowledge: KnowledgeConfig = KnowledgeConfig()
    api: ApiConfig = ApiConfig()
    demo: DemoConfig = DemoConfig()
    demo_mode: bool = False  # set only by `python -m bot demo`: exposes /sandbox

    def replace(self, **sections: Any) -> "Config":
        """Return a copy with whole sections or section keys replaced: replace(wecom={"api_base": ...})."""
        changes = {}
        for name, value in sections.items():
            if isinstance(value, dict):
                value = dataclasses.replace(getattr(self, name), **value)
            changes[name] = value
        return dataclasses.replace(self, **changes)

    @property
    def base_url(self) -> str:
        return self.server.public_url or f"http://{self.server.host}:{self.server.port}"


def load_config(path: str | os.PathLike | None = None, env: Mapping[str, str] | None = None,
                require_wecom: bool = True) -> Config:
    """Read YAML, apply environment overrides, convert types and validate; raise ConfigError."""
    env = os.environ if env is None else env
    raw = _read_yaml(Path(path) if path else DEFAULT_PATH)
    for (section, key), var in ENV_OVERRIDES.items():
        if env.get(var, "") != "":
            raw.setdefault(section, {})[key] = env[var]
    config = _build(raw)
    validate(config, require_wecom=require_wecom)
    return config


def _read_yaml(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"config file {path}: cannot be read ({exc.strerror})") from None
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ConfigError(f"config file {path}: not valid YAML{where}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path}: must be a mapping of sections")
    return data


def _build(raw: dict) -> Config:
    sections = {}
    section_types = {f.name: f.type for f in fields(Config) if f.name != "demo_mode"}
    for name, value in raw.items():
        if name not in section_types:
            raise ConfigError(f"{name}: unknown section (known: {', '.join(section_types)})")
        if value is None:
            continue
        if not isinstance(value, dict):
            raise ConfigError(f"{name}: must be a mapping of settings")
        if name in ("jobs", "filings"):  # nested sections, lists and mappings: parsed and checked in their modules
            try:
                sections[name] = (build_jobs if name == "jobs" else build_filings)(value)
            except ValueError as exc:
                raise ConfigError(str(exc)) from None
            continue
        cls = {"server": ServerConfig, "wecom": WeComConfig, "database": DatabaseConfig,
               "agency": AgencyConfig, "sidebar": SidebarConfig, "render": RenderConfig, "jobs": JobsConfig,
               "admin": AdminConfig, "demo": DemoConfig, "binding": BindingConfig, "knowledge": KnowledgeConfig,
               "api": ApiConfig}[name]
        sections[name] = _build_section(name, cls, value)
    return Config(**sections)


# Settings an older config.yaml may still hold, and what replaced them.
REMOVED_SETTINGS = {
    "agency.small_scale_vat_rate_bp": "removed: the small-scale VAT levy rate now follows the dated rules in "
                                      "handlers/invoices/vat_table.py (1% until 2027-12-31, then 3%); delete this line",
}


def _build_section(section: str, cls: type, values: dict) -> Any:
    known = {f.name: f for f in fields(cls)}
    kwargs = {}
    for key, value in values.items():
        if key not in known:
            raise ConfigError(f"{section}.{key}: {REMOVED_SETTINGS.get(f'{section}.{key}', 'unknown setting')}")
        default = known[key].default
        kwargs[key] = _convert(f"{section}.{key}", value, type(default))
    return cls(**kwargs)


def _convert(name: str, value: Any, kind: type) -> Any:
    if value is None:
        value = ""
    try:
        if kind is bool:
            if isinstance(value, bool):
                return value
            raise ValueError
        if kind is int:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            return int(str(value).strip())
        if kind is float:
            return float(value)
        return str(value)
    except ValueError:
        label = {int: "a whole number", float: "a number", bool: "true or false"}.get(kind, "text")
        raise ConfigError(f"{name}{_env_hint(name)}: must be {label}, got {_shown(name, value)}") from None


def _env_hint(name: str) -> str:
    section, _, key = name.partition(".")
    var = ENV_OVERRIDES.get((section, key))
    return f" ({var})" if var else ""


def _shown(name: str, value: Any) -> str:
    secret = name.endswith(("secret", "aes_key", "token"))
    return "a value that is not shown" if secret else repr(value)


def validate(config: Config, require_wecom: bool = True) -> None:
    """Check every setting once; the first problem raises ConfigError naming the key."""
    checks = [
        ("server.port", 0 < config.server.port < 65536, "must be between 1 and 65535"),
        ("server.log_level", config.server.log_level.upper() in {"DEBUG", "INFO", "WARNING", "ERROR"},
         "must be DEBUG, INFO, WARNING or ERROR"),
        ("server.public_url", not config.server.public_url or is_http_url(config.server.public_url),
         "must be an http(s) URL"),
        ("wecom.api_base", is_http_url(config.wecom.api_base), "must be an http(s) URL"),
        ("wecom.request_timeout", config.wecom.request_timeout > 0, "must be greater than 0"),
        ("wecom.max_retries", 0 <= config.wecom.max_retries <= 10, "must be between 0 and 10"),
        ("wecom.oauth_url", config.wecom.oauth_url.startswith("/") or is_http_url(config.wecom.oauth_url),
         "must be an http(s) URL or a path"),
        ("wecom.sso_url", config.wecom.sso_url.startswith("/") or is_http_url(config.wecom.sso_url),
         "must be an http(s) URL or a path"),
        ("admin.idle_timeout", 60 <= config.admin.idle_timeout <= config.admin.max_session,
         "must be at least 60 seconds and at most admin.max_session"),
        ("admin.max_session", 300 <= config.admin.max_session <= 7 * 86400, "must be between 300 and 604800"),
        ("admin.page_size", 10 <= config.admin.page_size <= 500, "must be between 10 and 500"),
        ("admin.metrics_token", config.admin.metrics_token == "" or len(config.admin.metrics_token) >= 16,
         "must be empty (/metrics off) or at least 16 characters"),
        ("wecom.callback_path", config.wecom.callback_path.startswith("/"), "must start with /"),
        ("wecom.callback_max_skew", config.wecom.callback_max_skew > 0, "must be greater than 0"),
        ("wecom.callback_max_body", 1024 <= config.wecom.callback_max_body <= 1 << 20,
         "must be between 1024 and 1048576"),
        ("wecom.reply_deadline", 0 < config.wecom.reply_deadline < 5,
         "must be between 0 and 5 seconds (WeCom gives up after 5)"),
        ("database.url", db_url_problem(config.database.url) is None, db_url_problem(config.database.url)),
        ("database.sqlite_synchronous", config.database.sqlite_synchronous.upper() in {"FULL", "NORMAL"},
         "must be FULL or NORMAL"),
        ("database.threads", 1 <= config.database.threads <= 64, "must be between 1 and 64"),
        ("agency.timezone", tz_ok(config.agency.timezone), "is not a known time zone"),
        ("agency.name", bool(config.agency.name.strip()), "must not be empty"),
        ("admin.import_max_mb", 1 <= config.admin.import_max_mb <= 1024, "must be between 1 and 1024"),
        ("sidebar.upload_dir", bool(config.sidebar.upload_dir.strip()), "must not be empty"),
        ("sidebar.upload_max_mb", 1 <= config.sidebar.upload_max_mb <= 20,
         "must be between 1 and 20 (WeCom files are at most 20 MB)"),
        *edge_checks(config.server, config.sidebar, MIN_SESSION_SECRET),
    ]
    for name, ok, problem in checks + limit_checks(config):
        if not ok:
            raise ConfigError(f"{name}{_env_hint(name)}: {problem}")
    problem = wecom_problem(config.wecom) if require_wecom else None
    if problem:
        raise ConfigError(problem)


def require_serving(config: Config) -> None:
    """What `serve` needs beyond validate(): the public URL (cookies, OAuth, JS-SDK) and an explicit session secret."""
    if not config.server.public_url:
        raise ConfigError("server.public_url (PUBLIC_URL): required by serve: the https address WeCom and "
                          "browsers reach this server at")
    if not config.sidebar.session_secret:
        raise ConfigError(f"sidebar.session_secret (SESSION_SECRET): required by serve: at least "
                          f"{MIN_SESSION_SECRET} random bytes ({GENERATE})")
