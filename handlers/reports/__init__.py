"""Reports (B7): a client's balance sheet and income statement (小企业会计准则) as an XLSX file.

Channels: commands.py (报表), sidebar.py (the 报表 tab). rules.py finds a period's report lines.
"""
