"""The relevance test set: load the corpus into the current database, score a search by recall@5 and MRR per kind.

recall@5 of a query = relevant ids in the top 5 ÷ min(5, relevant ids) (a lone character can be about more than
five entries; five right answers is a perfect page). MRR = 1 / rank of the first relevant id (0 if none in 10).
"""
from __future__ import annotations

from typing import Callable

import models
from handlers.knowledge.index import rebuild_index
from handlers.knowledge.synonyms import load_starter_synonyms
from seed import knowledge_data
from tests.data.kb import extra
from tests.data.kb.queries import queries

KINDS = ["one_char", "two_chars", "client_question", "answer_only", "synonym", "digits_latin", "typo"]


def corpus() -> list[tuple[str, str, str, str, str]]:
    """(key, category, title, brief, answer) for the starter entries and the extra ones."""
    rows = [(f"s{n:03d}", child, title, brief, answer)
            for n, (_, child, title, brief, answer, _) in enumerate(knowledge_data.entries())]
    rows += [(f"x{n:03d}", "其他", title, brief, answer) for n, (title, brief, answer) in enumerate(extra.entries())]
    return rows


def load_corpus() -> dict[int, str]:
    """Every corpus entry audited in the database, the starter synonyms, the index built: {entry id: key}."""
    top = models.KnowledgeCategory.create(name="语料")
    categories: dict[str, models.KnowledgeCategory] = {}
    keys = {}
    for key, child, title, brief, answer in corpus():
        if child not in categories:
            categories[child] = models.KnowledgeCategory.create(name=child, parent=top)
        entry = models.KnowledgeEntry.create(category=categories[child], title=title, brief=brief, answer=answer,
                                             audited=True)
        keys[entry.id] = key
    load_starter_synonyms()
    rebuild_index()
    return keys


def score(search: Callable[[str], list[int]], keys: dict[int, str]) -> dict[str, dict[str, float]]:
    """{kind: {recall5, mrr, queries, empty}} and 'overall', for ``search(query) -> entry ids best first``."""
    result, all_recall, all_rr = {}, [], []
    for kind, rows in queries().items():
        recalls, rrs, empty = [], [], 0
        for query, relevant in rows:
            found = [keys.get(i) for i in search(query)[:10]]
            empty += not found
            hits = sum(1 for k in found[:5] if k in relevant)
            recalls.append(hits / min(5, len(relevant)))
            rrs.append(next((1 / (n + 1) for n, k in enumerate(found) if k in relevant), 0.0))
        result[kind] = {"recall5": sum(recalls) / len(recalls), "mrr": sum(rrs) / len(rrs),
                        "queries": len(rows), "empty": empty}
        all_recall += recalls
        all_rr += rrs
    result["overall"] = {"recall5": sum(all_recall) / len(all_recall), "mrr": sum(all_rr) / len(all_rr),
                         "queries": len(all_recall), "empty": sum(r["empty"] for r in result.values())}
    return result


def misses(search: Callable[[str], list[int]], keys: dict[int, str], kind: str) -> list[tuple[str, list, list]]:
    """(query, relevant, top 5 found) for the queries of ``kind`` that miss a relevant id in the top 5."""
    out = []
    for query, relevant in queries()[kind]:
        found = [keys.get(i) for i in search(query)[:5]]
        if sum(k in relevant for k in found) < min(5, len(relevant)):
            out.append((query, relevant, found))
    return out
