"""Staff and binding (S3, S4): staff accounts and the WeCom members bound to them.

Channels: commands.py (绑定, 解绑, 成员, 绑定码), cli.py (`python -m bot staff`). rules.py: finding staff,
issuing and redeeming binding codes, unbinding.
"""
