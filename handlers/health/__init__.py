"""运行状况 (X7): is the desk healthy? Callbacks in and refused, syncs, drift from WeCom, the outbox, the
scheduler, tokens and the database, for admins (admin.py) and for Prometheus (metrics.py), from one gathering
(figures.py). drift.py compares WeCom's customer lists with ours on demand."""
