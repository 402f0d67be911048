#!/usr/bin/env python3
"""tests/lib/didweb_server.py — a small HTTPS (or plain HTTP) server for the
did:web tests (tests/cli/didweb.sh), on a free loopback port.

    didweb_server.py ROOT PORTFILE [CERT KEY] [--lifetime SEC]

Serves the files under ROOT (GET only; 404 for anything missing). With CERT
and KEY it speaks TLS (the test's own CA signed CERT); without, plain HTTP.
A few paths answer specially, for the refusals the verifier must make:
    /redirect/did.json      302 to https://<same host>/.well-known/did.json
    /redirect-http/did.json 302 to http://<same host>/.well-known/did.json
    /slow/did.json          waits 60 s before answering (the verifier's deadline)
    /big/did.json           a 100 KiB JSON document (over the 64 KiB limit)
It binds 127.0.0.1 port 0, writes the port to PORTFILE once listening, and
stops by itself after --lifetime seconds (default 300) so a test that dies
leaves nothing behind. With --log FILE it appends "GET PATH" to FILE for
every request (a test counts the fetches).
"""
import http.server
import os
import ssl
import sys
import threading
import time


class Handler(http.server.BaseHTTPRequestHandler):
    root = "."
    log = None
    log_lock = threading.Lock()

    def log_message(self, fmt, *args):  # quiet
        pass

    def answer(self, code, body=b"", headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        host = self.headers.get("Host", "localhost")
        path = self.path.split("?", 1)[0]
        if Handler.log:
            with Handler.log_lock, open(Handler.log, "a") as f:
                f.write("GET %s\n" % path)
        if path == "/redirect/did.json":
            return self.answer(302, headers=[("Location", "https://%s/.well-known/did.json" % host)])
        if path == "/redirect-http/did.json":
            return self.answer(302, headers=[("Location", "http://%s/.well-known/did.json" % host)])
        if path == "/slow/did.json":
            time.sleep(60)
            return self.answer(200, b"{}")
        if path == "/big/did.json":
            return self.answer(200, b'{"id":"x","pad":"' + b"a" * (100 * 1024) + b'"}',
                               [("Content-Type", "application/json")])
        full = os.path.realpath(os.path.join(self.root, path.lstrip("/")))
        if not full.startswith(os.path.realpath(self.root) + os.sep) or not os.path.isfile(full):
            return self.answer(404, b"not found")
        with open(full, "rb") as f:
            self.answer(200, f.read(), [("Content-Type", "application/did+json")])


def main():
    args = sys.argv[1:]
    lifetime = 300
    if "--lifetime" in args:
        i = args.index("--lifetime")
        lifetime = int(args[i + 1])
        del args[i:i + 2]
    if "--log" in args:
        i = args.index("--log")
        Handler.log = args[i + 1]
        del args[i:i + 2]
    Handler.root = args[0]
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    if len(args) >= 4:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args[2], args[3])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(args[1] + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.replace(args[1] + ".tmp", args[1])
    threading.Timer(lifetime, lambda: os._exit(0)).start()
    srv.serve_forever()


if __name__ == "__main__":
    main()
