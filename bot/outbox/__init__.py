"""The outbox: everything the scheduler pushes to WeCom, sent exactly once, within WeCom's caps.

- engine.py: Outbox (enqueue a job's plan, send due rows, recheck before sending), Item, Kind, SendReport
- store.py: the rows and their state transitions in the database
- sends.py: claiming a row, the per-member caps and the send attempt
- digest.py: a digest's text from the kind's templates, cut to WeCom's size limits
"""
