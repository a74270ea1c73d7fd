"""Services (B2): bookkeeping (记账) and business (工商) services, their terms and renewals.

Channels: commands.py (到期), sidebar.py (the 服务 tab with 到期提醒 and 缺票提醒 texts), reminders.py (the
service expiry job). rules.py: which terms are about to end and what counts as renewed.
"""
