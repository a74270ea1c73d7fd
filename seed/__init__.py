"""The demo agency (X1): a fixed WeCom directory and the bookkeeping records behind it, for `make demo` and tests.


A top-level package, not part of bot/: the records it writes follow the features' rules (handlers/*/rules.py),
which the WeCom edge in bot/ must not import.
- demo.py: seed_demo(), writing every record in a few transactions
- world.py: demo_directory(), the WeCom side (members, contacts, groups), needing no database
- data.py: the fixed tables (people, brands, industries, suppliers, knowledge entries)
- kit.py, people.py, billing.py, books.py, reports.py: the seeding steps and their helpers
"""
