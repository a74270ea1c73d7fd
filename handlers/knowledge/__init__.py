"""The knowledge base (B9, K1–K4, X8): audited answers staff search and send into chats.

Channels: commands.py (知识, numbered choices), sidebar.py (the 知识库 tab), cli.py (`kb reindex | synonyms`),
startup.py (warns when the index was never built). Search: text.py (cutting text into terms), index.py
(reindex_entry / rebuild_index: the BM25F term index), search.py (query planning and the one ranking SQL),
synonyms.py (the agency's synonym list), snippet.py (highlighted excerpts). rules.py: use counting and gaps.
"""
