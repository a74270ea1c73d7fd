"""The callback edge (C1): everything between WeCom's HTTP request and a handler's reply.

- callback.py: verify the signature and timestamp, decrypt, deduplicate, dispatch with a deadline, reply
  passively or through message/send
- crypto.py: WeCom's callback crypto (AES-CBC, PKCS#7 to 32, SHA-1 signatures) and the safe XML reader
- messages.py: the decrypted XML as typed messages and events
- inbox.py: the database inbox that makes retries idempotent across processes; the staff lookup
- replies.py: delivering a Reply (text, image, file) through the API client
"""
