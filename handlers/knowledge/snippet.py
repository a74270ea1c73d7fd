"""A highlighted snippet of an answer for the sidebar: the matched terms wrapped in <mark>, everything else
escaped, so the page can rebuild it from text and <mark> nodes without ever parsing user content as HTML."""
from __future__ import annotations

from html import escape

WIDTH = 90
BEFORE = 24


def _spans(lowered: str, terms: list[str]) -> list[tuple[int, int]]:
    spans = []
    for term in terms:
        start = lowered.find(term)
        while start != -1:
            spans.append((start, start + len(term)))
            start = lowered.find(term, start + 1)
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]


def snippet(text: str, terms: list[str]) -> str:
    """About WIDTH characters of ``text`` around its first match, escaped, matches in <mark>."""
    text = " ".join((text or "").split())
    spans = _spans(text.lower(), [t.lower() for t in terms])
    begin = max(0, spans[0][0] - BEFORE) if spans else 0
    end = min(len(text), begin + WIDTH)
    out, at = ["…" if begin else ""], begin
    for start, stop in spans:
        if stop <= begin or start >= end:
            continue
        start, stop = max(start, begin), min(stop, end)
        out += [escape(text[at:start]), "<mark>", escape(text[start:stop]), "</mark>"]
        at = stop
    out.append(escape(text[at:end]) + ("…" if end < len(text) else ""))
    return "".join(out)
