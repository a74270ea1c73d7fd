"""The chat sidebar (C5, S2): the shell every tab lives in.

- page.py: the page, the JS-SDK signatures and the chat's context (which clients the chat is linked to)
- scope.py: the signed-in member and the chat they opened it in, checked on every request; CSRF
- kit.py: what every tab uses (the tab's client, period parameters, texts, media answers)
- uploads.py: attachments sniffed for type and size-limited, stored outside the web root

The tabs themselves live with their features (handlers/<feature>/sidebar.py).
"""
