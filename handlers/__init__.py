"""The one explicit registry of features: routers, web routes, CLI commands and jobs. No discovery.

Each feature is a package holding its channels side by side (commands.py, sidebar.py, reminders.py, …) and
the rules they share (rules.py). The modules at this level serve every feature: access.py (who may see which
client), cmdkit.py (the command kit), conversation.py (numbered choices and 确认), signin.py (page sign-in),
help.py and welcome.py (the bot's own replies).
"""
from __future__ import annotations

from aiohttp import web

from handlers import conversation, help, welcome
from handlers.admin import audit as admin_audit
from handlers.api import admin as api_admin
from handlers.api import urls as api_urls
from handlers.admin import home as admin_home
from handlers.admin import shell as admin_shell
from handlers.admin import signin as admin_signin
from handlers.billing import admin as billing_admin
from handlers.billing import admin_receivables as billing_admin_receivables
from handlers.billing import commands as billing_commands
from handlers.billing import sidebar as billing_sidebar
from handlers.clients import admin as clients_admin
from handlers.clients import admin_detail as clients_admin_detail
from handlers.clients import admin_edit as clients_admin_edit
from handlers.clients import commands as clients_commands
from handlers.clients import sidebar as clients_sidebar
from handlers.contacts import admin as contacts_admin
from handlers.contacts import admin_groups as contacts_admin_groups
from handlers.contacts import admin_sync as contacts_admin_sync
from handlers.contacts import cli as contacts_cli
from handlers.contacts import commands as contacts_commands
from handlers.contacts import events as contacts_events
from handlers.filings import admin as filings_admin
from handlers.filings import admin_return as filings_admin_return
from handlers.filings import commands as filings_commands
from handlers.filings import sidebar as filings_sidebar
from handlers.filings import startup as filings_startup
from handlers.followups import commands as followups_commands
from handlers.followups import sidebar as followups_sidebar
from handlers.health import admin as health_admin
from handlers.health import metrics as health_metrics
from handlers.handover import admin as handover_admin
from handlers.handover import events as handover_events
from handlers.intake import admin as intake_admin
from handlers.intake import admin_collections as intake_admin_collections
from handlers.intake import commands as intake_commands
from handlers.intake import sidebar as intake_sidebar
from handlers.invoices import admin as invoices_admin
from handlers.invoices import commands as invoices_commands
from handlers.invoices import sidebar as invoices_sidebar
from handlers.knowledge import admin as knowledge_admin
from handlers.knowledge import admin_categories as knowledge_admin_categories
from handlers.knowledge import admin_gaps as knowledge_admin_gaps
from handlers.knowledge import admin_synonyms as knowledge_admin_synonyms
from handlers.knowledge import admin_transfer as knowledge_admin_transfer
from handlers.knowledge import cli as knowledge_cli
from handlers.knowledge import commands as knowledge_commands
from handlers.knowledge import sidebar as knowledge_sidebar
from handlers.knowledge import startup as knowledge_startup
from handlers.records import admin as records_admin
from handlers.records import cli as records_cli
from handlers.reminders import cli as reminders_cli
from handlers.reminders import web as reminders_web
from handlers.reminders.jobs import JOBS as REMINDER_JOBS
from handlers.reports import admin as reports_admin
from handlers.reports import commands as reports_commands
from handlers.reports import sidebar as reports_sidebar
from handlers.services import admin as services_admin
from handlers.services import admin_terms as services_admin_terms
from handlers.services import commands as services_commands
from handlers.services import sidebar as services_sidebar
from handlers.sidebar import page as sidebar_page
from handlers.staff import admin as staff_admin
from handlers.staff import cli as staff_cli
from handlers.staff import commands as staff_commands
from handlers.staff import permissions as staff_permissions
from handlers.staff import consent as staff_consent
from handlers.staff import members as staff_members

ROUTERS = [help.router, clients_commands.router, conversation.router, welcome.router,
           services_commands.router, billing_commands.router, intake_commands.router, filings_commands.router,
           invoices_commands.router, reports_commands.router, followups_commands.router, knowledge_commands.router,
           staff_commands.router, contacts_events.router, contacts_commands.router,
           handover_events.router]  # after contacts_events: it passes transfer_fail on to it

# `python -m bot <name> ...` commands owned by features: objects with .name, .help, .configure(parser)
# and .run(args, config) -> int. bot/cli.py adds them to its parser.
CLI_COMMANDS: list = [staff_cli.StaffCommand(), *contacts_cli.CLI_COMMANDS, reminders_cli.JobsCommand(),
                      records_cli.ImportCommand(), knowledge_cli.KnowledgeCommand()]

# Scheduled jobs (bot/scheduler.py fires them; config.yaml `jobs` schedules them).
JOBS = [*REMINDER_JOBS]

# The sidebar's tabs after 基础资料, in the order the tab bar shows them.
SIDEBAR_TABS = [services_sidebar, billing_sidebar, intake_sidebar, followups_sidebar, filings_sidebar,
                reports_sidebar, invoices_sidebar, knowledge_sidebar]

# The console (/admin): each feature's admin module holds its menu AREA and its `console` routes, in menu order.
ADMIN = [admin_home, admin_signin, admin_audit, staff_admin, staff_permissions, staff_members, contacts_admin,
         contacts_admin_groups, contacts_admin_sync, clients_admin, handover_admin, health_admin,
         billing_admin, records_admin]
ADMIN += [filings_admin, filings_admin_return]  # 报税看板 (X4)
ADMIN += [clients_admin_detail, clients_admin_edit]  # a client's page, 新增客户 / 编辑 / 删除, contacts
ADMIN += [services_admin, services_admin_terms]  # contracts and service terms: 续签 / 续费 / 终止
ADMIN += [billing_admin_receivables, intake_admin]  # 应收 by hand and from the billing plan; 缺票 flags
ADMIN += [invoices_admin, reports_admin, intake_admin_collections]  # 发票, 报表 and 收票 records of a client
ADMIN += [knowledge_admin, knowledge_admin_categories, knowledge_admin_transfer, knowledge_admin_gaps,
          knowledge_admin_synonyms]  # 知识库 (K1–K4, X8)
ADMIN += [api_admin]  # 接口令牌 (X10)

# Checks run once when the server starts (aiohttp on_startup handlers): they log what an admin should fix.
STARTUP_CHECKS = [filings_startup.warn_missing_calendar, knowledge_startup.warn_missing_index]


def setup_web(app: web.Application) -> None:
    """Pages and JSON endpoints owned by the features (the sidebar and /reminders), and their start-up checks."""
    app.on_startup.extend(STARTUP_CHECKS)
    sidebar_page.setup(app)
    reminders_web.setup(app, JOBS)  # /reminders: the list a reminder digest links to
    clients_sidebar.setup(app)
    for tab in SIDEBAR_TABS:
        tab.setup(app)
    admin_signin.setup(app)
    health_metrics.setup(app)  # /metrics for Prometheus: a bearer token, not a console session
    staff_consent.setup(app)  # the mobile self-match: an unbound member has no console session yet
    admin_shell.setup(app, ADMIN)
    api_urls.setup(app)  # /api/v1: the JSON API for the agency's bookkeeping system, bearer tokens
