"""Start-up check of the knowledge search index: an upgraded install has audited entries but no index yet."""
from __future__ import annotations

import logging

from aiohttp import web

import models
from bot import keys

log = logging.getLogger(__name__)


def _unindexed() -> int:
    """Audited entries when the index was never built (0 when built, or when there is nothing to index)."""
    if models.KnowledgeIndexStat.get_or_none(models.KnowledgeIndexStat.name == "built_docs") is not None:
        return 0
    return models.KnowledgeEntry.select().where(models.KnowledgeEntry.audited == True).count()  # noqa: E712


async def warn_missing_index(app: web.Application) -> None:
    """One warning line when knowledge searches would find nothing because the index was never built."""
    missing = await app[keys.DB].run(_unindexed)
    if missing:
        log.warning("knowledge search: %d audited entries are not indexed yet, so searches find nothing; run "
                    "`python -m bot kb reindex` (and `python -m bot kb synonyms` for the starter synonym list)",
                    missing)
