"""绑定, 解绑, 成员, 绑定码: binding WeCom members to staff accounts (S4)."""
from __future__ import annotations

import logging

import models
from bot.router import Reply, Router, UserError
from handlers.conversation import ask_confirmation, confirmable
from handlers.staff.rules import (UNBIND, BindAttempt, admin_userids, attempt_binding, issue_code, member_rows,
                                  one_staff, unbind_staff)

router = Router("staff")
log = logging.getLogger(__name__)


@router.command("绑定", "绑定员工", needs_staff=False)
async def bind(msg, args, ctx) -> Reply:
    """绑定 <绑定码>：把你的企业微信账号绑定到账房员工账号
    绑定码由管理员发给你（24 小时内有效，只能使用一次）。"""
    if ctx.staff is not None:
        return Reply.of_text(f"你已绑定为员工「{ctx.staff.name}」，无需再绑定。")
    if not args:
        return Reply.of_text("请向管理员索取绑定码，然后发送「绑定 绑定码」，例如：绑定 K7M2Q9XA")
    attempt = await ctx.db.atomic(attempt_binding, ctx.userid, args, ctx.clock(), ctx.config.binding)
    if attempt.staff is None:
        if attempt.just_locked:
            await _alert_admins(ctx, attempt)
        raise UserError(attempt.error)
    return Reply.of_text(f"绑定成功！{attempt.staff.name}，你好。发送「帮助」查看全部命令。")


async def _alert_admins(ctx, attempt: BindAttempt) -> None:
    """Tell the admins a member was locked out; a failed alert is logged, never shown to the member."""
    admins = await ctx.db.run(admin_userids)
    if not admins:
        log.warning("binding locked for WeCom member %s, and no bound admin to alert", ctx.userid)
        return
    text = ctx.render("staff/bind_locked.txt", userid=ctx.userid, failures=attempt.failures,
                      window_minutes=-(-ctx.config.binding.failure_window // 60),
                      until=attempt.locked_until.astimezone(ctx.config.agency.tz).strftime("%Y-%m-%d %H:%M"))
    try:
        await ctx.wecom.send_text("|".join(admins), text)
    except Exception:  # noqa: BLE001 - the lock holds whether or not the alert got through
        log.exception("could not alert the admins that WeCom member %s is locked out of binding", ctx.userid)


@router.command("解绑", "取消关联")
async def unbind(msg, args, ctx) -> Reply:
    """解绑 [员工]：解除企业微信账号与员工账号的绑定（需回复「确认」）"""
    if args and not ctx.staff.is_admin:
        return Reply.of_text("解绑其他员工仅限管理员。发送「解绑」可解除你自己的绑定。")
    target = await ctx.db.run(one_staff, args) if args else ctx.staff
    if not target.wecom_userid:
        raise UserError(f"员工「{target.name}」没有绑定企业微信账号。")
    whose = "你的企业微信账号" if target.id == ctx.staff.id else f"员工「{target.name}」（{target.wecom_userid}）"
    question = (f"确认解除{whose}与账房员工账号的绑定？解除后需要管理员重新发绑定码才能再使用。\n"
                f"回复「确认」解绑，回复「取消」放弃（10 分钟内有效）。")
    return await ask_confirmation(ctx, UNBIND, {"staff_id": target.id}, question, f"解绑员工 {target.name}")


@confirmable(UNBIND)
async def unbind_confirmed(ctx, payload: dict) -> Reply:
    if payload["staff_id"] != ctx.staff.id and not ctx.staff.is_admin:
        raise UserError("解绑其他员工仅限管理员。")
    target = await ctx.db.run(models.Staff.get_by_id, payload["staff_id"])
    userid = await ctx.db.atomic(unbind_staff, target, ctx.staff)
    return Reply.of_text(f"已解除员工「{target.name}」与企业微信账号 {userid} 的绑定。")


@router.command("成员", "员工", "绑定状态", admin_only=True)
async def members(msg, args, ctx) -> Reply:
    """成员：查看全部员工及其企业微信绑定状态（管理员）"""
    rows = await ctx.db.run(member_rows, ctx.config.agency.tz)
    return Reply.of_text(ctx.render("staff/members.txt", rows=rows,
                                    unbound=sum(1 for r in rows if r["active"] and not r["userid"])))


@router.command("绑定码", "发绑定码", admin_only=True)
async def binding_code(msg, args, ctx) -> Reply:
    """绑定码 <员工>：为员工生成一次性绑定码（管理员；24 小时内有效）
    员工可写姓名或手机号。把绑定码私下发给本人，本人在应用里发送「绑定 绑定码」即可。"""
    if not args:
        raise UserError("请写上员工姓名或手机号，例如：绑定码 李晓梅")
    staff = await ctx.db.run(one_staff, args)
    code = await ctx.db.atomic(issue_code, staff, ctx.staff, ctx.clock())
    return Reply.of_text(f"员工「{staff.name}」的绑定码：{code}\n"
                         f"请私下发给本人：在应用里发送「绑定 {code}」。24 小时内有效，只能使用一次；重新生成后旧码作废。")
