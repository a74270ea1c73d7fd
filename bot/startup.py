"""Start-up checks that answer in one line: the port, the database and the receipt font, each named with its fix.

`python -m bot serve` and `python -m bot demo` run them before anything starts, so a machine that cannot run the
server says why in one line on stderr (exit status 1) instead of a traceback; `--debug` adds the traceback.
explain() turns the same failures into the same lines when they happen later anyway (a port taken a moment
after the check, a database that goes away during migrations).
"""
from __future__ import annotations

import errno
import os
import socket
import sqlite3
from pathlib import Path
from urllib.parse import unquote, urlparse

import peewee

from bot.config.settings import DatabaseConfig


class StartupError(Exception):
    """The server cannot start here; the message is one line naming the setting or path and the fix."""


# ---- the port ------------------------------------------------------------------------------------------------

def bind_error(host: str, port: int) -> OSError | None:
    """Why ``host:port`` cannot be listened on, or None. Probed as aiohttp binds (SO_REUSEADDR: a closed
    connection in TIME_WAIT is no conflict)."""
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as exc:
        return exc
    return None


def port_problem(exc: OSError, host: str, port: int) -> str | None:
    """The one line for a failed bind of server.host/server.port, or None when ``exc`` is not one."""
    if exc.errno == errno.EADDRINUSE:
        return (f"server.port: 端口 {port} 已被占用（{host}）。请停止占用它的程序，或用 --port 换一个端口 / "
                f"port {port} on {host} is already in use: stop the other process or choose another with --port")
    if exc.errno == errno.EACCES:
        return (f"server.port: 没有权限监听端口 {port}（1024 以下需要 root）。请换一个大于 1024 的端口，由反向代理转发 / "
                f"permission denied for port {port}: use a port above 1024 behind a reverse proxy")
    if exc.errno in (errno.EADDRNOTAVAIL, socket.EAI_NONAME) or isinstance(exc, socket.gaierror):
        return (f"server.host: {host} 不是本机的地址。请改用 127.0.0.1 或 0.0.0.0 / "
                f"{host} is not an address of this machine: use 127.0.0.1 or 0.0.0.0")
    return None


def check_port(host: str, port: int) -> None:
    exc = bind_error(host, port)
    if exc is not None:
        raise StartupError(port_problem(exc, host, port) or f"server.port: {host}:{port}: {exc.strerror or exc}") from exc


# ---- the database --------------------------------------------------------------------------------------------

def check_database(cfg: DatabaseConfig, setting: str) -> None:
    """Connect and prove a write is possible (a table created and rolled back); StartupError says what failed.

    ``setting`` names where the URL came from, e.g. "database.url (DATABASE_URL)" or "demo.database"."""
    from bot.db import open_database
    try:
        database = open_database(cfg)
        try:
            database.connect()
            with database.atomic() as txn:  # a read-only file or a standby refuses this, not a SELECT
                database.execute_sql(f"CREATE TABLE zf_write_probe_{os.getpid()} (x INTEGER)")
                txn.rollback()
        finally:
            database.close()
    except Exception as exc:  # noqa: BLE001 - explained below, or re-raised as it is
        problem = explain(exc, cfg.url, setting)
        if problem is None:
            raise
        raise StartupError(problem) from exc


def explain(exc: BaseException, url: str, setting: str) -> str | None:
    """The one line for a database that cannot be reached or written, or None for any other exception."""
    sqlite = url.startswith("sqlite:")
    if isinstance(exc, OSError) and sqlite:  # its folder could not be created, or an old file not removed
        where = exc.filename or Path(unquote(url[len("sqlite:///"):])).parent
        return (f"{setting}: 无法使用 {where}（{exc.strerror}）。请检查路径，并让运行本程序的用户能写这个文件夹 / "
                f"cannot use {where} ({exc.strerror}): check the path and that the folder is writable by this user")
    if not isinstance(exc, (peewee.OperationalError, peewee.InterfaceError, sqlite3.OperationalError)):
        return None
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0].strip()
    return _sqlite_problem(text, url, setting) if sqlite else _postgres_problem(text, url, setting)


def _sqlite_problem(text: str, url: str, setting: str) -> str:
    path = Path(unquote(url[len("sqlite:///"):])).resolve()
    if "readonly" in text or "read-only" in text:
        return (f"{setting}: SQLite 数据库只读：{path}。请让运行本程序的用户能写这个文件及其所在的文件夹"
                f"（WAL 模式要在同一文件夹建 -wal 和 -shm 文件）/ the SQLite database is read-only: make the file and "
                f"its folder writable by the user running the server")
    if "unable to open" in text:
        return (f"{setting}: 打不开 SQLite 数据库：{path}。请检查路径，并让运行本程序的用户能写它所在的文件夹 / "
                f"cannot open the SQLite database: check the path and that its folder is writable")
    if "locked" in text:
        return (f"{setting}: SQLite 数据库被其他进程锁住：{path}。请稍后再试，或停止长时间写入的进程 / "
                f"the SQLite database is locked by another process: try again or stop it")
    return f"{setting}: SQLite 数据库出错：{path}（{text}）/ SQLite error: {text}"


def _postgres_problem(text: str, url: str, setting: str) -> str:
    parsed = urlparse(url)  # never the password: only host, port and database name are shown
    where = f"{parsed.hostname}:{parsed.port or 5432}/{parsed.path.lstrip('/') or 'postgres'}"
    if "read-only" in text:
        return (f"{setting}: PostgreSQL 数据库 {where} 只读（{text}）。请连接主库，或允许这个用户写入 / "
                f"the database is read-only (a standby?): connect to the primary")
    if "authentication failed" in text or "password" in text:
        return (f"{setting}: PostgreSQL {where} 拒绝了登录（{text}）。请检查用户名和密码 / "
                f"PostgreSQL refused the login: check the user and password")
    if "does not exist" in text:
        return (f"{setting}: PostgreSQL {where}：{text}。请先创建数据库（createdb）或改正名称 / "
                f"create the database or fix its name")
    return (f"{setting}: 无法连接 PostgreSQL {where}（{text}）。请确认数据库已启动、地址和端口正确 / "
            f"cannot connect to PostgreSQL: start it or fix the URL")
