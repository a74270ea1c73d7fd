"""The knowledge base (B9, K1–K4, X8): audited answers staff search and send into chats.

Channels: commands.py (知识), sidebar.py (the 知识库 tab). rules.py: search and the record of knowledge gaps.
"""
