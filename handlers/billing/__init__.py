"""Billing (B3): what clients owe, payments and receipts.

Channels: commands.py (欠费, 催款, 收款 → 确认, 收据), sidebar.py (the 收款 tab), reminders.py (the arrears
job). The rules every channel shares are in rules.py: what is owed and overdue, the FIFO allocation of a
payment, recording it with a gapless receipt number, and the receipt's data.
"""
