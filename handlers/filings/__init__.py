"""Tax filings (B6): each client's returns per period and tax, and their deadlines.

Channels: commands.py (报税), sidebar.py (the 报税 tab and its 报税完成通知 text), reminders.py (the filing
deadline job). rules.py holds the one filing calendar every channel asks, and the quarter helpers;
calendar_data.py the tax bureau's published tables and the annual deadlines; startup.py the start-up warning
while a year's table is missing.
"""
