"""Invoices and VAT (B8): a client's input and output invoices and the estimated VAT.

Channels: commands.py (发票), sidebar.py (the 发票 tab and its 开票数据提醒 text). rules.py holds the one
VAT estimate every channel and the demo seed use; vat_table.py the dated rules it applies (rates, the
small-scale exemption, deductible input documents, 留抵), and templates/invoices/assumptions.txt the one
wording of what an estimate assumes.
"""
