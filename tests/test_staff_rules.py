"""The role rules (S3) as units: who may create, edit, re-role, set permissions for, deactivate and reactivate
whom; someone always remains an active super admin; and the account form's checks."""
import pytest

import models
from handlers.staff import rules


def _staff(id, role="staff", active=True, name=None):
    return models.Staff(id=id, name=name or f"员工{id}", role=role, active=active, permissions=[])


BOSS, BOSS2 = _staff(1, "super_admin", name="张总"), _staff(2, "super_admin", name="赵总")
ADMIN, ADMIN2 = _staff(3, "admin", name="钱经理"), _staff(4, "admin", name="孙经理")
CLERK, CLERK2 = _staff(5, name="李小梅"), _staff(6, name="王刚")


def test_only_a_super_admin_creates_a_super_admin():
    assert rules.create_refusal(BOSS, "super_admin") is None
    assert "只有超级管理员" in rules.create_refusal(ADMIN, "super_admin")
    assert rules.create_refusal(ADMIN, "admin") is None and rules.create_refusal(ADMIN, "staff") is None
    assert "只有管理员" in rules.create_refusal(CLERK, "staff")
    assert rules.create_refusal(None, "super_admin") is None  # the operator at the server's command line
    assert rules.create_refusal(BOSS, "owner") == "请选择角色。"


def test_role_changes_to_or_from_super_admin_need_a_super_admin():
    assert "只有超级管理员" in rules.role_refusal(ADMIN, CLERK, "super_admin")
    assert "只有超级管理员" in rules.role_refusal(ADMIN, BOSS, "admin")
    assert rules.role_refusal(BOSS, CLERK, "super_admin") is None
    assert rules.role_refusal(BOSS, BOSS2, "staff") is None


def test_an_admin_manages_clerks_but_not_other_admins_roles():
    assert rules.role_refusal(ADMIN, CLERK, "admin") is None
    assert "其他管理员的角色" in rules.role_refusal(ADMIN, ADMIN2, "staff")
    assert rules.role_refusal(BOSS, ADMIN2, "staff") is None
    assert rules.edit_refusal(ADMIN, ADMIN2) is None and rules.edit_refusal(ADMIN, CLERK) is None
    assert "超级管理员的资料" in rules.edit_refusal(ADMIN, BOSS)
    assert "只有管理员" in rules.edit_refusal(CLERK, CLERK2)
    assert rules.role_refusal(ADMIN, ADMIN2, "admin") is None  # unchanged role: nothing to refuse


def test_nobody_changes_their_own_role_or_permissions():
    for me in (BOSS, ADMIN, CLERK):
        assert "自己的角色" in rules.role_refusal(me, me, "staff" if me.role != "staff" else "super_admin")
        assert "自己的权限" in rules.permissions_refusal(me, me)
        assert rules.edit_refusal(me, me) is None  # their own name and mobile are fine


def test_permissions_are_set_for_clerks_only():
    assert rules.permissions_refusal(ADMIN, CLERK) is None
    assert "已拥有全部权限" in rules.permissions_refusal(BOSS, ADMIN)
    assert "只有管理员" in rules.permissions_refusal(CLERK, CLERK2)


def test_deactivation_and_reactivation(database):
    boss = models.Staff.create(name="张总", role="super_admin")
    admin = models.Staff.create(name="钱经理", role="admin")
    clerk = models.Staff.create(name="李小梅")
    assert rules.deactivate_refusal(admin, clerk) is None
    assert "只有超级管理员可以停用管理员" in rules.deactivate_refusal(admin, models.Staff.create(name="孙", role="admin"))
    assert "不能停用自己" in rules.deactivate_refusal(admin, admin)
    assert "唯一一位在职的超级管理员" in rules.deactivate_refusal(None, boss)
    clerk.active = False
    assert "已经是停用状态" in rules.deactivate_refusal(admin, clerk)
    assert rules.reactivate_refusal(admin, clerk) is None
    assert "已经是在职状态" in rules.reactivate_refusal(admin, boss)


def test_someone_remains_an_active_super_admin(database):
    boss = models.Staff.create(name="张总", role="super_admin")
    assert "唯一一位在职的超级管理员" in rules.last_super_admin_refusal(boss, "admin", True)
    assert rules.last_super_admin_refusal(boss, "super_admin", True) is None
    other = models.Staff.create(name="赵总", role="super_admin", active=False)
    assert rules.last_super_admin_refusal(boss, "staff", True) is not None  # an inactive one does not count
    other.active = True
    other.save()
    assert rules.last_super_admin_refusal(boss, "staff", True) is None
    assert rules.last_super_admin_refusal(boss, "super_admin", False) is None


@pytest.mark.parametrize("form, field, text", [
    ({"name": ""}, "name", "请填写姓名"),
    ({"name": "甲" * 65}, "name", "不能超过 64 个字"),
    ({"name": "甲", "mobile": "1380000000"}, "mobile", "11 位手机号"),
    ({"name": "甲", "mobile": "23800000000"}, "mobile", "11 位手机号"),
    ({"name": "甲", "mobile": "13800000001"}, "mobile", "已被其他员工使用"),
    ({"name": "甲", "email": "not-an-email"}, "email", "邮箱格式不正确"),
    ({"name": "甲", "role": "owner"}, "role", "请选择角色"),
])
def test_profile_errors(database, form, field, text):
    models.Staff.create(name="李小梅", mobile="13800000001")
    _, errors = rules.check_profile(form)
    assert text in errors[field]


def test_profile_cleans_values_and_allows_ones_own_mobile(database):
    li = models.Staff.create(name="李小梅", mobile="13800000001")
    values, errors = rules.check_profile({"name": " 李小梅 ", "mobile": "+86 138-0000-0001", "role": "staff"}, li.id)
    assert errors == {} and values["name"] == "李小梅" and values["mobile"] == "13800000001"
    values, errors = rules.check_profile({"name": "新人", "mobile": ""})
    assert errors == {} and values["mobile"] is None and values["role"] == "staff"
