"""One authorization code flow with requests-oauthlib's OAuth2Session (driven by python-oauthlib.test.ts).

Prints the authorization URL as a JSON line, reads the callback URL from stdin, then redeems the
code, calls /api/me with the token, refreshes it, and prints the results as a second JSON line.
"""
import json
import sys

from requests_oauthlib import OAuth2Session

base, client_id, secret, redirect_uri = sys.argv[1:5]
session = OAuth2Session(client_id, redirect_uri=redirect_uri, scope=["profile"])
url, state = session.authorization_url(base + "/oauth2/authorize")
print(json.dumps({"url": url, "state": state}), flush=True)

callback = sys.stdin.readline().strip()
token = session.fetch_token(base + "/api/oauth2/token", authorization_response=callback, client_secret=secret)
me = session.get(base + "/api/me")
refreshed = session.refresh_token(base + "/api/oauth2/token", auth=(client_id, secret))
print(json.dumps({"token": token, "me_status": me.status_code, "me": me.json(), "refreshed": refreshed}), flush=True)
