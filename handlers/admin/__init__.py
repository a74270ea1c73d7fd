"""The back office at /admin: its shell (sign-in, sessions, menu, access and CSRF), and the kit for tables,
forms and exports that every feature's ``admin.py`` uses. The pages themselves live in their features."""
