"""Clients (B1, L4, L5): who a client is, and the chat's links to clients.

Channels: commands.py (客户: a client's summary across every feature), sidebar.py (the 基础资料 tab:
profile, linking the chat's contact or group to clients, contacts and tags).
"""
