"""`python -m bot staff list | code <员工> | unbind <员工>`: staff binding from the command line (S4)."""
from __future__ import annotations

import argparse

import models
from bot.router import UserError
from handlers.staff.rules import issue_code, member_rows, one_staff, unbind_staff


class StaffCommand:
    """Listed in handlers.CLI_COMMANDS; bot/cli.py adds it to `python -m bot`."""

    name = "staff"
    help = "staff accounts and WeCom binding: list | code <name or mobile> | unbind <name, mobile or userid>"

    def configure(self, parser: argparse.ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="staff_command", required=True)
        sub.add_parser("list", help="every staff account with its binding state")
        code = sub.add_parser("code", help="print a one-time binding code (24 h, single use)")
        code.add_argument("who", help="姓名或手机号 / name or mobile")
        unbind = sub.add_parser("unbind", help="remove a staff account's WeCom binding")
        unbind.add_argument("who", help="姓名、手机号或企业微信账号 / name, mobile or WeCom userid")

    def run(self, args: argparse.Namespace, config) -> int:
        from bot.db import open_database
        database = open_database(config.database)
        models.db.initialize(database)
        with database.connection_context():
            try:
                return self._run(args, config, database)
            except UserError as exc:
                print(str(exc))
                return 1

    def _run(self, args, config, database) -> int:
        if args.staff_command == "list":
            for n, row in enumerate(member_rows(config.agency.tz), 1):
                state = f"已绑定 {row['userid']}" if row["userid"] else "未绑定"
                print(f"{n:>3}. {row['name']}\t{row['role']}\t{row['mobile']}\t{state}"
                      + ("" if row["active"] else "\t已停用"))
            return 0
        with database.atomic():
            staff = one_staff(args.who)
            if args.staff_command == "code":
                code = issue_code(staff, None, models.utcnow())
                print(f"员工「{staff.name}」的绑定码：{code}（24 小时内有效，只能使用一次）")
                print(f"请本人在企业微信应用里发送「绑定 {code}」。")
                return 0
            userid = unbind_staff(staff, None)
            print(f"已解除员工「{staff.name}」与企业微信账号 {userid} 的绑定。")
            return 0
