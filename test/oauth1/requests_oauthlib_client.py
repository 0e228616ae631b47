"""A real OAuth 1.0a client for the end-to-end tests: Python's requests-oauthlib (Debian package).

Usage: requests_oauthlib_client.py BASE_URL CONSUMER_KEY CONSUMER_SECRET CALLBACK SIGNATURE_METHOD
Prints one JSON line with the authorization URL, reads the callback URL (or, for "oob", the
verifier) from stdin, exchanges it for token credentials, makes signed requests to /api/me and
prints one JSON line with what the server answered.
"""
import json
import sys

from requests_oauthlib import OAuth1Session


def main():
    base, key, secret, callback, method = sys.argv[1:6]
    session = OAuth1Session(key, client_secret=secret, callback_uri=callback, signature_method=method)
    temporary = session.fetch_request_token(base + "/oauth1/request_token")
    print(json.dumps({"authorize": session.authorization_url(base + "/oauth1/authorize"), "confirmed": temporary.get("oauth_callback_confirmed")}), flush=True)

    answer = sys.stdin.readline().strip()
    if callback == "oob":
        session.fetch_access_token(base + "/oauth1/access_token", verifier=answer)
    else:
        session.parse_authorization_response(answer)
        session.fetch_access_token(base + "/oauth1/access_token")

    me = session.get(base + "/api/me", params={"q": "a b+c/é"})
    # The same signed request sent again is a replayed nonce.
    replay = session.send(me.request)
    print(json.dumps({
        "status": me.status_code,
        "me": me.json() if me.status_code == 200 else me.text,
        "replay_status": replay.status_code,
        "replay_challenge": replay.headers.get("WWW-Authenticate", ""),
    }), flush=True)


if __name__ == "__main__":
    main()
