"""A digest's message: the kind's template filled with as many items as fit WeCom's size limits.

Markdown carries the full list (≤2048 bytes); a textcard is shorter (title ≤128, description ≤512 bytes).
Items that do not fit are counted into "…及另外 N 家" by the template, and the link opens the whole list.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jinja2

MARKDOWN_LIMIT = 2048
CARD_TITLE_LIMIT = 128
CARD_DESCRIPTION_LIMIT = 512


@dataclass(frozen=True)
class DigestTemplates:
    """Where a kind's wording lives: a markdown template and a textcard one (first line = the title)."""
    markdown: str
    textcard: str


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def cut_bytes(text: str, limit: int) -> str:
    """At most `limit` UTF-8 bytes of `text`, never splitting a character."""
    data = text.encode("utf-8")
    return text if len(data) <= limit else data[:limit].decode("utf-8", "ignore")


def _fill(env: jinja2.Environment, name: str, shown: list[dict], everything: list[dict], values: dict) -> str:
    total = len(everything)
    return env.get_template(name).render(items=shown, all_items=everything, more=total - len(shown), total=total,
                                         **values).strip()


def _card(text: str) -> tuple[str, str]:
    title, _, description = text.partition("\n")
    return title.strip(), description.strip()


def _fits(fmt: str, text: str) -> bool:
    if fmt == "markdown":
        return _size(text) <= MARKDOWN_LIMIT
    title, description = _card(text)
    return _size(title) <= CARD_TITLE_LIMIT and _size(description) <= CARD_DESCRIPTION_LIMIT


def fit(env: jinja2.Environment, name: str, fmt: str, items: list[dict], values: dict) -> str:
    """The template rendered with the most leading items that keep it within the limits of `fmt`."""
    text = _fill(env, name, items, items, values)
    if _fits(fmt, text):
        return text
    low, high = 0, len(items) - 1  # binary search for the largest prefix that fits
    best = _fill(env, name, [], items, values)
    while low <= high:
        middle = (low + high) // 2
        candidate = _fill(env, name, items[:middle], items, values)
        if _fits(fmt, candidate):
            best, low = candidate, middle + 1
        else:
            high = middle - 1
    return best


def render_message(env: jinja2.Environment, templates: DigestTemplates, fmt: str, items: list[dict],
                   values: dict[str, Any]) -> dict:
    """The message/send body of one digest: {"msgtype": ..., "<msgtype>": {...}} ready to store and send."""
    if fmt == "markdown":
        text = fit(env, templates.markdown, fmt, items, values)
        return {"msgtype": "markdown", "markdown": {"content": cut_bytes(text, MARKDOWN_LIMIT)}}
    title, description = _card(fit(env, templates.textcard, fmt, items, values))
    return {"msgtype": "textcard", "textcard": {
        "title": cut_bytes(title, CARD_TITLE_LIMIT), "description": cut_bytes(description, CARD_DESCRIPTION_LIMIT),
        "url": values["url"], "btntxt": "查看"}}


TEMPLATE_TEXT_LIMIT = 4000  # add_msg_template text.content, bytes


def template_task(env: jinja2.Environment, templates: DigestTemplates, items: list[dict], values: dict) -> dict:
    """An add_msg_template body: one customer, sent by the member who follows them, worded for the client."""
    first = items[0]
    text = env.get_template(templates.markdown).render(items=items, **values).strip()
    return {"msgtype": "template", "template": {
        "chat_type": "single", "external_userid": [first["external_userid"]], "sender": first["sender"],
        "text": {"content": cut_bytes(text, TEMPLATE_TEXT_LIMIT)}}}
