"""Reminders that push themselves (C3, C4, X2, X3): the jobs table.

Each job finds today's reminders from the records (`plan`), and says how to tell that one is done
(`recheck`, run just before sending). Wording: templates/reminders/<job>.md (markdown digest) and
<job>.card.txt (textcard: first line the title); client pushes (off by default, jobs.<job>.client_push):
client_<job>.txt. Schedules and steps: the `jobs` section of config.yaml.
Sending, caps and exactly-once: bot/outbox/; firing and leader election: bot/scheduler.py.
"""
from __future__ import annotations

from bot.scheduler import Job
from handlers.billing import reminders as billing
from handlers.filings import reminders as filings
from handlers.intake import reminders as intake
from handlers.reminders.clientpush import client_recheck
from handlers.services import reminders as services

JOBS = [
    Job("service_expiry", services.service_expiry, "服务到期提醒", services.recheck),
    Job("missing_invoices", intake.missing_invoices, "缺票提醒", intake.recheck,
        client_recheck=client_recheck(intake.recheck)),
    Job("arrears", billing.arrears, "催款提醒", billing.recheck,
        client_recheck=client_recheck(billing.recheck)),
    Job("filing_deadline", filings.filing_deadline, "征期提醒", filings.recheck),
]
