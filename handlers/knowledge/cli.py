"""`python -m bot kb reindex | synonyms`: rebuild the knowledge search index; load the starter synonym list."""
from __future__ import annotations

import argparse
import time

import models
from handlers.knowledge import transfer_cli
from handlers.knowledge.index import rebuild_index, vacuum_index
from handlers.knowledge.synonyms import load_starter_synonyms


class KnowledgeCommand:
    """Listed in handlers.CLI_COMMANDS; bot/cli.py adds it to `python -m bot`."""

    name = "kb"
    help = ("knowledge base: reindex (rebuild the search index) | synonyms (add the starter synonym groups) | "
            "import FILE [--dry-run] | export FILE [--list|--template]")

    def configure(self, parser: argparse.ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="kb_command", required=True)
        sub.add_parser("reindex", help="rebuild the search index of audited entries (after an upgrade or bulk edits)")
        sub.add_parser("synonyms", help="add the starter synonym groups (merged into the agency's own list)")
        transfer_cli.configure(sub)  # kb import | export (the knowledge console's K3)

    def run(self, args: argparse.Namespace, config) -> int:
        if args.kb_command in transfer_cli.COMMANDS:
            return transfer_cli.run(args, config)
        from bot.db import open_database
        database = open_database(config.database)
        models.db.initialize(database)
        with database.connection_context(), database.atomic():
            start = time.monotonic()
            if args.kb_command == "synonyms":
                print(f"starter synonym groups loaded: {load_starter_synonyms()}")
                return 0
            count = rebuild_index()
            print(f"indexed {count} audited entries in {time.monotonic() - start:.1f} s")
        with database.connection_context():
            vacuum_index()  # PostgreSQL: index-only scans from the first search on
        return 0
