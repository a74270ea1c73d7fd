"""Follow-ups (B5): notes staff keep about a client, with attachments from the sidebar.

Channels: commands.py (跟进), sidebar.py (the 跟进 tab with uploads). rules.py adds and lists notes.
"""
