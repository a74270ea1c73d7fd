"""Handover (X9): a member's clients move to colleagues when they leave or change jobs.

Channels: admin.py (the console's 交接 pages), events.py (WeCom's transfer_fail event). The rules every channel
shares are rules.py (plan, preview, apply); transfer.py starts and follows WeCom's own transfer of the member's
external contacts and customer groups (在职继承 / 离职继承).
"""
