"""WeCom contacts and customer groups (L1, L2, L3): sync and live updates.

Channels: events.py (客户联系, 客户群 and 标签 callback events), commands.py (同步), cli.py
(`python -m bot sync`). The engine is sync.py; runs.py records runs, resume and refusal; store.py writes
contacts, follow relations, groups and members.
"""
