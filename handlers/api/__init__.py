"""The JSON API (/api/v1, X10) for the agency's bookkeeping system: clients, services, contracts, receivables,
payments, invoices, filings and reports, read and upserted by natural key through the same record specs the
imports use (handlers/records), with bearer tokens admins create and revoke in the console (接口令牌).

auth.py (tokens), ratelimit.py (per token), body.py (JSON in, errors out), shapes.py (a record as JSON),
kinds.py (what each kind reads and writes), routes.py (reading, and the token/rate/scope check every endpoint
shares), writes.py (upserts, payments, void), openapi.py (the document), urls.py (mounting), admin.py (the
console page 接口令牌).
"""
