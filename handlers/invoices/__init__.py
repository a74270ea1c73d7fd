"""Invoices and VAT (B8): a client's input and output invoices and the estimated VAT.

Channels: commands.py (发票), sidebar.py (the 发票 tab and its 开票数据提醒 text). rules.py holds the one
VAT estimate every channel uses.
"""
