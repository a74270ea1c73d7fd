"""Text pieces for knowledge search: normalisation, the terms an entry is indexed under, the pieces of a query.

Chinese is typed without spaces and word segmentation guesses wrong on tax jargon, so an entry is indexed under
every character and every two adjacent characters of its Chinese runs (bigrams make 印花税 outrank 印…花…税),
and under each Latin/digit token (a, 0.03%, 5000) with the Chinese character next to it (a级, 5000元).
Used alike for entries and queries, so both sides always cut text the same way.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_CJK = "\u3400-\u4dbf\u4e00-\u9fff"
_TOKEN = re.compile(rf"[{_CJK}]+|[a-z]+|\d+(?:\.\d+)?%?")
_IS_CJK = re.compile(rf"[{_CJK}]")

# Question wording that carries no topic: removed from queries (never from entries) before pieces are cut, so
# 「发票抬头写错了还能用吗」 is searched as 发票抬头 / 写错 / 用. Longest first: 怎么办 before 怎么.
STOP_PHRASES = sorted("""怎么办 怎么样 怎么 咋办 如何 可以 需要 什么 哪些 哪个 哪里 是否 能不能 要不要 可不可以 是不是
有没有 会不会 还能 能否 应该 为什么 请问 一下 我们 我的 你们 多少 多久 的话 了吗 呢 吗 吧 啊 呀 么 的 了 我 你 就
都 也 又 哦 嘛 是""".split(), key=len, reverse=True)
_STOP = re.compile("|".join(map(re.escape, STOP_PHRASES)))


def normalise(text: str) -> str:
    """Full-width to half-width (NFKC: ０.０３％ → 0.03%), lower case."""
    return unicodedata.normalize("NFKC", text or "").lower()


def _runs(text: str) -> list[str]:
    return _TOKEN.findall(text)


def index_terms(text: str) -> list[str]:
    """Every term of ``text`` in order, repeated as often as it occurs (term frequencies count them)."""
    runs = _runs(normalise(text))
    terms: list[str] = []
    for n, run in enumerate(runs):
        if _IS_CJK.match(run):
            terms += list(run)
            terms += [run[i:i + 2] for i in range(len(run) - 1)]
        else:
            terms.append(run)
            terms += _joins(runs, n, run)
    return terms


def _joins(runs: list[str], n: int, token: str) -> list[str]:
    """A Latin/digit token glued to the neighbouring Chinese character: a级, 5000元, 第3."""
    out = []
    if n + 1 < len(runs) and _IS_CJK.match(runs[n + 1]):
        out.append(token + runs[n + 1][0])
    if n > 0 and _IS_CJK.match(runs[n - 1]):
        out.append(runs[n - 1][-1] + token)
    return out


class QueryPieces:
    """A query cut into weighted terms: ``{term: weight}``; bigrams count fully, the characters of a longer
    run only a little (they rescue typos and scattered wording), a lone character fully."""

    UNIGRAM_IN_RUN = 0.25

    def __init__(self, query: str):
        self.text = normalise(query)
        self.terms: dict[str, float] = {}
        self.bigrams: list[str] = []  # in query order, for typo lookups
        content = _STOP.sub(" ", self.text)
        runs = _runs(content)  # a query of question words only (吗, 怎么办) searches for nothing
        for n, run in enumerate(runs):
            if _IS_CJK.match(run):
                self._add_cjk(run)
            else:
                self._add(run, 1.0)
                for joined in _joins(runs, n, run):
                    self._add(joined, 0.5)

    def _add(self, term: str, weight: float) -> None:
        self.terms[term] = max(weight, self.terms.get(term, 0.0))

    def _add_cjk(self, run: str) -> None:
        if len(run) == 1:
            self._add(run, 1.0)
            return
        for ch in run:
            self._add(ch, self.UNIGRAM_IN_RUN)
        for i in range(len(run) - 1):
            self._add(run[i:i + 2], 1.0)
            self.bigrams.append(run[i:i + 2])

    def substrings(self, longest: int = 8) -> set[str]:
        """Every Chinese/Latin substring up to ``longest`` characters: the candidates for synonym lookup."""
        out = set()
        for run in _runs(self.text):
            for i in range(len(run)):
                for j in range(i + 1, min(len(run), i + longest) + 1):
                    out.add(run[i:j])
        return out


@lru_cache(maxsize=4096)
def pinyin_key(term: str) -> str:
    """Toneless pinyin of a two-character piece ('增值' → 'zeng zhi'); '' for anything else."""
    if len(term) != 2 or not all(_IS_CJK.match(ch) for ch in term):
        return ""
    from pypinyin import lazy_pinyin
    return " ".join(lazy_pinyin(term))[:64]


def is_cjk(term: str) -> bool:
    return bool(_IS_CJK.match(term))
