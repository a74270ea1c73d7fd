"""Document intake, 收票 (B4) and 缺票 flags (B2): what a client hands in each month.

Purchase and sales invoices, expense receipts, bank slips and payroll, per period; and the periods an
accountant flagged as missing invoices. ("intake", not "collections", which would read as debt collection and
shadows the standard module.)

Channels: commands.py (收票, 缺票), sidebar.py (the 收票 tab, its detail image), reminders.py (the missing
invoices job). rules.py: a period's collection summary and the open 缺票 flags.
"""
