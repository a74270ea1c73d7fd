"""Feature modules. Routers, web routes and CLI commands are listed here explicitly: no discovery."""
from __future__ import annotations

from aiohttp import web

from handlers import clients, conversation, help, profile, sidebar, welcome
from handlers import (billing, collections, filings, followups, invoices, knowledge, payments, reports, services,
                      staff, staff_cli)
from handlers import contacts, sync
from handlers import reminders, reminders_cli, reminders_web

ROUTERS = [help.router, clients.router, conversation.router, welcome.router,
           services.router, billing.router, payments.router, collections.router, filings.router, invoices.router,
           reports.router, followups.router, knowledge.router, staff.router,
           contacts.router, sync.router]

# `python -m bot <name> ...` commands owned by features: objects with .name, .help, .configure(parser)
# and .run(args, config) -> int. bot/cli.py adds them to its parser.
CLI_COMMANDS: list = [staff_cli.StaffCommand(), *sync.CLI_COMMANDS, reminders_cli.JobsCommand()]

# Scheduled jobs (bot/scheduler.py fires them; config.yaml `jobs` schedules them).
JOBS = [*reminders.JOBS]


def setup_web(app: web.Application) -> None:
    """Pages and JSON endpoints owned by the features (the sidebar)."""
    sidebar.setup(app)
    reminders_web.setup(app, JOBS)  # /reminders: the list a reminder digest links to
    profile.setup(app)
    from handlers import (sidebar_billing, sidebar_collections, sidebar_filings, sidebar_followups,
                          sidebar_invoices, sidebar_knowledge, sidebar_reports, sidebar_services)
    for tab in (sidebar_services, sidebar_billing, sidebar_collections, sidebar_followups, sidebar_filings,
                sidebar_reports, sidebar_invoices, sidebar_knowledge):  # the sidebar's tabs after 基础资料
        tab.setup(app)
