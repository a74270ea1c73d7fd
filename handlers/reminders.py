"""Reminders that push themselves (C3, C4, X2, X3): the jobs table.

Each job finds today's reminders from the records (`plan`), and says how to tell that one is done
(`recheck`, run just before sending). Wording: templates/reminders/<job>.md (markdown digest) and
<job>.card.txt (textcard: first line the title); client pushes (off by default, jobs.<job>.client_push):
client_<job>.txt. Schedules and steps: the `jobs` section of config.yaml.
Sending, caps and exactly-once: bot/outbox.py; firing and leader election: bot/scheduler.py.
"""
from __future__ import annotations

from bot.scheduler import Job
from handlers import reminders_billing, reminders_filing, reminders_invoices, reminders_services
from handlers.reminders_client import client_recheck

JOBS = [
    Job("service_expiry", reminders_services.service_expiry, "服务到期提醒", reminders_services.recheck),
    Job("missing_invoices", reminders_invoices.missing_invoices, "缺票提醒", reminders_invoices.recheck,
        client_recheck=client_recheck(reminders_invoices.recheck)),
    Job("arrears", reminders_billing.arrears, "催款提醒", reminders_billing.recheck,
        client_recheck=client_recheck(reminders_billing.recheck)),
    Job("filing_deadline", reminders_filing.filing_deadline, "征期提醒", reminders_filing.recheck),
]
