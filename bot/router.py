"""Command and event registration, and dispatch(msg, ctx) -> Reply, testable without HTTP."""
from __future__ import annotations

import dataclasses
import difflib
import functools
import inspect
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Iterable

from bot.edge.messages import Event, Message, TextMessage

log = logging.getLogger(__name__)

TEXT_LIMIT = 2048  # bytes of text WeCom shows in one message; longer text is cut off by WeCom


class UserError(Exception):
    """An error whose message is safe to show staff; the router turns it into a reply."""


@dataclass(frozen=True)
class Reply:
    """What a handler answers. Text may go back passively; the rest goes through message/send."""

    kind: str  # text | markdown | textcard | image | file
    text: str = ""
    title: str = ""
    url: str = ""
    data: bytes = field(default=b"", repr=False)
    filename: str = ""

    @classmethod
    def of_text(cls, text: str) -> "Reply":
        return cls("text", text=text)

    @classmethod
    def of_markdown(cls, text: str) -> "Reply":
        return cls("markdown", text=text)

    @classmethod
    def of_textcard(cls, title: str, description: str, url: str) -> "Reply":
        return cls("textcard", title=title, text=description, url=url)

    @classmethod
    def of_image(cls, data: bytes, filename: str) -> "Reply":
        return cls("image", data=data, filename=filename)

    @classmethod
    def of_file(cls, data: bytes, filename: str) -> "Reply":
        return cls("file", data=data, filename=filename)

    @property
    def passive_ok(self) -> bool:
        """Only short text can be answered in the callback response itself."""
        return self.kind == "text" and len(self.text.encode("utf-8")) <= TEXT_LIMIT


Handler = Callable[..., Awaitable["Reply | None"]]


@dataclass(frozen=True)
class Command:
    names: tuple[str, ...]
    fn: Handler
    admin_only: bool = False
    needs_staff: bool = True
    glued: bool = True  # may be typed with its argument glued on ('客户华夏'); off for 确认, so '确认一下' is not one

    @property
    def name(self) -> str:
        return self.names[0]

    @property
    def summary(self) -> str:
        """First docstring line: the help text."""
        return _doc_lines(self.fn)[0]

    @property
    def brief(self) -> str:
        """The summary without its parenthetical notes: the line in 帮助's list, which must fit one passive reply
        (2,048 bytes) however many commands there are; 「帮助 命令名」 gives the whole of it."""
        return re.sub(r"（[^）]*）", "", self.summary)

    @property
    def details(self) -> str:
        return "\n".join(_doc_lines(self.fn)[1:]).strip()


@functools.lru_cache(maxsize=None)
def _doc_lines(fn: Handler) -> tuple[str, ...]:
    return tuple((inspect.getdoc(fn) or "").splitlines()) or ("",)


class Router:
    """One per feature module: holds that feature's commands and event handlers."""

    def __init__(self, name: str):
        self.name = name
        self.commands: list[Command] = []
        self.events: dict[tuple[str, str | None], Handler] = {}
        self.fallbacks: list[Handler] = []
        self.before_command: list[Handler] = []

    def on_command(self, fn: Handler) -> Handler:
        """Register ``async def fn(cmd, msg, ctx)``, run before every command a member sends (after the
        permission checks), e.g. to end conversation state the new command makes stale."""
        self.before_command.append(fn)
        return fn

    def fallback(self, fn: Handler) -> Handler:
        """Register ``async def fn(msg, text, ctx) -> Reply | None`` for text that names no command
        (a numbered choice, say); the first fallback that answers wins."""
        self.fallbacks.append(fn)
        return fn

    def command(self, *names: str, admin_only: bool = False, needs_staff: bool = True, glued: bool = True):
        """Register ``async def fn(msg, args, ctx) -> Reply``; the first docstring line is its help."""
        def register(fn: Handler) -> Handler:
            self.commands.append(Command(tuple(names), fn, admin_only, needs_staff, glued))
            return fn
        return register

    def event(self, event: str, change_type: str | None = None):
        """Register ``async def fn(msg, ctx) -> Reply | None`` for an event (optionally one ChangeType)."""
        def register(fn: Handler) -> Handler:
            self.events[(event, change_type)] = fn
            return fn
        return register


def normalize(text: str) -> str:
    """Full-width letters, digits, spaces and punctuation -> half-width; runs of spaces folded."""
    text = unicodedata.normalize("NFKC", text or "")
    return re.sub(r"\s+", " ", text).strip()


_TRAILING = re.compile(r"[。.?!~…]+$")  # after normalize(): ？！～ are already ?!~
_SEPARATOR = r"[\s:,、]+"  # between a command name and its argument: '客户 华夏', '客户:华夏', '客户，华夏'


def strip_trailing(text: str) -> str:
    """'欠费。' -> '欠费', '到期?' -> '到期'; text that is only punctuation ('?') stays as it is."""
    return _TRAILING.sub("", text) or text


def _split_word(text: str) -> tuple[str, str]:
    """('客户', '华夏') for '客户 华夏', '客户:华夏' or '客户，华夏' (normalised text)."""
    parts = re.split(_SEPARATOR, text, maxsplit=1)
    return parts[0], parts[1] if len(parts) > 1 else ""


def _may_glue(name: str, rest: str) -> bool:
    """Whether ``rest`` can follow command ``name`` with no space: one-character names never glue ('是',
    '问' start too many words), and a Latin name needs a non-Latin rest ('kh华夏', not 'khaki')."""
    if len(name) < 2 or not rest:
        return False
    return not (name.isascii() and rest[0].isascii() and rest[0].isalnum())


class Dispatcher:
    """Routes a message to its command or event handler and shapes errors into replies."""

    def __init__(self, routers: Iterable[Router]):
        self.routers = list(routers)
        self.commands: dict[str, Command] = {}
        self.events: dict[tuple[str, str | None], Handler] = {}
        self.fallbacks: list[Handler] = []
        self.before_command: list[Handler] = []
        for router in self.routers:
            self.fallbacks.extend(router.fallbacks)
            self.before_command.extend(router.before_command)
            for cmd in router.commands:
                for name in cmd.names:
                    if name in self.commands:
                        raise ValueError(f"command {name!r} registered twice")
                    self.commands[name] = cmd
            self.events.update(router.events)
        # Longest first, so '确认收款华夏' is 确认收款 and '绑定码李晓梅' is 绑定码.
        self._glued = sorted((n for n, c in self.commands.items() if c.glued), key=len, reverse=True)

    def command_list(self) -> list[Command]:
        seen: list[Command] = []
        for router in self.routers:
            seen.extend(router.commands)
        return seen

    async def dispatch_text(self, text: str, msg: TextMessage, ctx: Any) -> Reply | None:
        """Dispatch ``text`` as if the member had typed it (a numbered choice re-runs its command)."""
        return await self._dispatch_text(dataclasses.replace(msg, content=text), ctx)

    async def dispatch(self, msg: Message, ctx: Any) -> Reply | None:
        try:
            if isinstance(msg, TextMessage):
                return await self._dispatch_text(msg, ctx)
            if isinstance(msg, Event):
                return await self._dispatch_event(msg, ctx)
            return None
        except UserError as exc:
            return Reply.of_text(str(exc))
        except Exception:
            log.exception("handler failed for %s from %s", msg.kind, msg.from_user)
            return Reply.of_text("抱歉，处理时出了点问题，已记录。请稍后再试。") if isinstance(msg, TextMessage) else None

    def find_command(self, text: str) -> tuple[Command | None, str]:
        """(command, its arguments) for what a member typed, the way people type it: '客户 华夏', '客户：华夏',
        '客户华夏', '到期30', '欠费。'; (None, text without its trailing 。?!) when it names no command."""
        text = normalize(text)
        if " " not in text:  # '欠费。', '到期30?', '华夏?': a one-word message ends its sentence
            text = strip_trailing(text)
        word, args = _split_word(text)
        cmd = self.commands.get(word.lower() if word.isascii() else strip_trailing(word))
        if cmd is not None:
            return cmd, args.strip()
        for name in self._glued:
            if text.lower().startswith(name) and _may_glue(name, text[len(name):]):
                return self.commands[name], re.sub(f"^{_SEPARATOR}", "", text[len(name):]).strip()
        return None, text

    async def _dispatch_text(self, msg: TextMessage, ctx: Any) -> Reply | None:
        cmd, args = self.find_command(msg.content)
        if cmd is None:
            return await self._no_command(msg, args, ctx)
        if cmd.needs_staff and ctx.staff is None:
            return Reply.of_text(ctx.render("bot/unbound.txt"))
        if cmd.admin_only and not ctx.staff.is_admin:
            return Reply.of_text(f"「{cmd.name}」仅限管理员使用。如需使用，请联系本机构的管理员。")
        for hook in self.before_command:
            await hook(cmd, msg, ctx)
        return await cmd.fn(msg, args, ctx)

    async def _no_command(self, msg: TextMessage, text: str, ctx: Any) -> Reply:
        """Text naming no command: the fallbacks (a numbered choice, a bare client name), else a hint."""
        if not text:
            return Reply.of_text("请输入命令，发送「帮助」查看全部命令。")
        for fallback in self.fallbacks:
            reply = await fallback(msg, text, ctx)
            if reply is not None:
                return reply
        return Reply.of_text(self._unknown(text.partition(" ")[0]))

    def _unknown(self, word: str) -> str:
        close = difflib.get_close_matches(word, list(self.commands), n=3, cutoff=0.3)
        close += [name for name in self.commands if name in word or word in name]
        close = list(dict.fromkeys(self.commands[c].name for c in close))[:3]  # aliases -> their command
        hint = f"你是不是想用：{'、'.join('「' + c + '」' for c in close)}？\n" if close else ""
        return f"没有「{word[:20]}」这个命令。\n{hint}发送「帮助」查看全部命令。"

    async def _dispatch_event(self, msg: Event, ctx: Any) -> Reply | None:
        change_type = getattr(msg, "change_type", None)
        handler = self.events.get((msg.event, change_type)) or self.events.get((msg.event, None))
        if handler is None:
            log.info("no handler for event %s/%s", msg.event, change_type)
            return None
        return await handler(msg, ctx)
