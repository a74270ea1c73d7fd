"""Billing (B3): what clients owe, payments and receipts.

Channels: commands.py (欠费, 催款, 收款 → 确认, 作废 → 确认, 收据), sidebar.py (the 收款 tab), admin.py (the
console's 收款 area, reading through queries.py), reminders.py (the arrears job). The rules every channel shares
are in rules.py (what is owed and overdue, the FIFO allocation of a payment, recording it with a gapless receipt
number, voiding it, the receipt's data) and credit.py (the client's credit: applied FIFO, refunded).
"""
