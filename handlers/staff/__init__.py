"""Staff and binding (S3, S4): staff accounts and the WeCom members bound to them.

Channels: commands.py (绑定, 解绑, 成员, 绑定码), cli.py (`python -m bot staff`), admin.py (员工管理 in the console)
and permissions.py (权限设置). rules.py: finding staff, binding codes, unbinding, and who may change whom (roles,
permissions, deactivation, the account form's checks). accounts.py and leaving.py: the account writes every
channel shares (create, edit, permissions, reactivate; deactivate with a replacement).
"""
