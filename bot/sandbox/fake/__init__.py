"""The fake WeCom: a real aiohttp app serving /cgi-bin/... with WeCom's error codes, token expiry and caps (X1).

- state.py: FakeWeCom, the state and the rules on it (tokens, faults, directory, media, deliveries, caps)
- faults.py: scripted faults (an error before or after WeCom acted, a gateway 502, a stall until the client times out)
- records.py: error codes and messages, FakeConfig, and the records of calls, deliveries and media
- app.py: the HTTP shell (WeCom's gates in order, the endpoint table) and /_sandbox/... for the demo page
- auth.py, messages.py, contacts.py: the endpoints, by WeCom API group; kit.py: their shared helpers
"""
