"""Tax filings (B6): each client's returns per period and tax, and their deadlines.

Channels: commands.py (报税; 已申报 / 零申报), sidebar.py (the 报税 tab, its 报税完成通知 text and marking a return),
reminders.py (the filing deadline job, which links each member to the board), admin.py and admin_return.py (the
console's 报税看板, X4: a period's returns by accountant, bulk and per-return marking). marks.py is the one write
every channel uses to mark a return 已申报 / 零申报 or undo it, audited; board.py the board's queries.
rules.py holds the one filing calendar every channel asks, a return's state (未申报 / 已申报 / 零申报 / 逾期) and
the quarter helpers; calendar_data.py the tax bureau's published tables and the annual deadlines; startup.py the
start-up warning while a year's table is missing.
"""
