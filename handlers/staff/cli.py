"""`python -m bot staff list | add <姓名> | code <员工> | unbind <员工>`: staff accounts and binding from the command
line (S3, S4). `add` is how a new install gets its first super admin, before anyone can sign in to the console."""
from __future__ import annotations

import argparse

import models
from bot.router import UserError
from handlers.staff.accounts import create_staff
from handlers.staff.rules import CODE_TTL, check_profile, issue_code, member_rows, one_staff, unbind_staff


class StaffCommand:
    """Listed in handlers.CLI_COMMANDS; bot/cli.py adds it to `python -m bot`."""

    name = "staff"
    help = "staff accounts and WeCom binding: list | add <name> | code <name or mobile> | unbind <name, mobile or userid>"

    def configure(self, parser: argparse.ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="staff_command", required=True)
        sub.add_parser("list", help="every staff account with its binding state")
        add = sub.add_parser("add", help="create a staff account and print its binding code")
        add.add_argument("name", help="姓名 / name")
        add.add_argument("--role", choices=list(models.ROLES), default="staff",
                         help="super_admin (超级管理员) | admin (管理员) | staff (职员, default)")
        add.add_argument("--mobile", default="", help="11 位手机号 / mainland mobile number")
        add.add_argument("--email", default="")
        add.add_argument("--position", default="", help="职位 / job title")
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
        if args.staff_command == "add":
            return self._add(args, config, database)
        with database.atomic():
            staff = one_staff(args.who)
            if args.staff_command == "code":
                now = models.utcnow()
                _print_code(staff, issue_code(staff, None, now), config, now)
                return 0
            userid = unbind_staff(staff, None)
            print(f"已解除员工「{staff.name}」与企业微信账号 {userid} 的绑定。")
            return 0

    def _add(self, args, config, database) -> int:
        form = {"name": args.name, "role": args.role, "mobile": args.mobile, "email": args.email,
                "position": args.position}
        with database.atomic():
            values, errors = check_profile(form)
            if errors:
                for message in errors.values():
                    print(message)
                return 1
            now = models.utcnow()
            staff = create_staff(None, values, now)
            code = issue_code(staff, None, now)
        print(f"已添加员工「{staff.name}」（{models.ROLES[staff.role]}）。")
        _print_code(staff, code, config, now)
        return 0


def _print_code(staff: models.Staff, code: str, config, now) -> None:
    expires = (now + CODE_TTL).astimezone(config.agency.tz).strftime("%Y-%m-%d %H:%M")
    print(f"员工「{staff.name}」的绑定码：{code}（有效期至 {expires}，24 小时内有效，只能使用一次）")
    print(f"请本人在企业微信应用里发送「绑定 {code}」。")
