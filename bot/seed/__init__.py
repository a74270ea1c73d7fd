"""The demo agency: a fixed WeCom directory and the bookkeeping records behind it (`make demo`, tests).

- demo.py: seed_demo(), writing every record in a few transactions
- world.py: demo_directory(), the WeCom side (members, contacts, groups), needing no database
- data.py: the fixed tables (people, brands, industries, suppliers, knowledge entries)
- kit.py, people.py, billing.py, books.py, reports.py: the seeding steps and their helpers
"""
