"""The fake WeCom: a real aiohttp app serving /cgi-bin/... with WeCom's error codes, token expiry and caps (X1).

- state.py: FakeWeCom, the state and the rules on it (tokens, faults, directory, media, deliveries, caps)
- faults.py: scripted faults (an error before or after WeCom acted, a gateway 502, a stall until the client times out)
- records.py: error codes and messages, FakeConfig, and the records of calls, deliveries and media
- app.py: the HTTP shell (WeCom's gates in order, the endpoint table) and /_sandbox/... for the demo page
- auth.py, members.py, messages.py, contacts.py, transfer.py: the endpoints, by WeCom API group; kit.py: their helpers
- identity.py: the app's visible range and snsapi_privateinfo user_tickets; handover.py: customer transfers
  (24-hour wait, scripted refusals, the transfer_fail event queue); control.py: /_sandbox/transfers/... for them
"""
