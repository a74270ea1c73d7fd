"""The callback edge (C1): everything between WeCom's HTTP request and a handler's reply.

- callback.py: verify the signature and timestamp, decrypt, deduplicate, dispatch with a deadline, reply
  passively or through message/send
- crypto.py: WeCom's callback crypto (AES-CBC, PKCS#7 to 32, SHA-1 signatures)
- xmlsafe.py: the XML reader: UTF-8 only, no DTD or entities, bounded depth, before any other work
- inputs.py: numbers and JSON from any request, bounded before int() or json see them
- guard.py: what every HTTP answer carries (security headers) and every path is checked for (numeric ids)
- messages.py: the decrypted XML as typed messages and events
- inbox.py: the database inbox that makes retries idempotent across processes; the staff lookup
- replies.py: delivering a Reply (text, image, file) through the API client
"""
