#!/usr/bin/env python3
"""A tiny OAuth2 token introspection endpoint (RFC 7662) for the private
Dovecot's oauth2 passdb: the identity provider of the OAuth2 tests, on
127.0.0.1 only.  Dovecot POSTs token=... to /introspect; a token listed in
TOKENS ("token user" per line, read at each request) is active for that
user, any other is not.  Every request is counted in COUNT.

usage: oauth2idp.py PORT TOKENS COUNT
"""
import json
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

PORT, TOKENS, COUNT = int(sys.argv[1]), sys.argv[2], sys.argv[3]


def known():
    out = {}
    with open(TOKENS) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 2:
                out[parts[0]] = parts[1]
    return out


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        form = urllib.parse.parse_qs(body.decode())
        token = (form.get("token") or [""])[0]
        user = known().get(token)
        answer = {"active": True, "username": user} if user else \
            {"active": False}
        with open(COUNT, "a") as f:
            f.write("active\n" if user else "inactive\n")
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


HTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
