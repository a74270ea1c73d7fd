"""Reminders that push themselves (C3, C4, X2, X3): the framework the features' jobs plug into.

- jobs.py: the JOBS table (each feature's reminders.py supplies a job's plan and recheck)
- digest.py: recipients by role, dedupe keys and steps, shared by every job
- clientpush.py: opt-in pushes to clients through WeCom's 群发 (add_msg_template), capped per month
- cli.py: `python -m bot jobs list|run|send`
- web.py: /reminders, the page a digest links to
"""
