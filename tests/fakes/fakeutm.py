#!/usr/bin/env python3
"""A fake УТМ (ЕГАИС transport module) for the agent's utm check.

    python3 tests/fakes/fakeutm.py [--port 0] [--rsa-days 200] [--gost-days 200]
        [--owner 030000123456] [--rsa-error TEXT] [--home-problem] [--html] [--status 200]
        [--pad BYTES]

Prints "PORT <n>" on its first line once it listens on 127.0.0.1, then
serves until killed (SIGTERM or SIGINT end it quietly).

  GET /api/info/list   the УТМ's JSON (or, with --html, an HTML page, as
                       older УТМ versions answer), with status --status;
                       --pad adds a member of that many bytes (an oversized answer)
  GET /home            the home page: «Проблемы с RSA» with --home-problem,
                       and the unsent-cheques line
  POST /_fake          a JSON object of the options above (rsa_days,
                       gost_days, owner, rsa_error, home_problem, html,
                       status, pad) changes them while it runs (for end-to-end
                       tests)

The JSON shape imitated is the one public monitoring scripts for УТМ 4.x
read (Zabbix templates and bots parsing /api/info/list): top-level version,
contour, rsaError (null when all is well), checkInfo, ownerId, db {createDate,
ownerId}, rsa and gost {certType, startDate, expireDate "YYYY-MM-DD HH:MM:SS
+0300", isValid "valid", issuer}, license. The field names and the date
format come from those scripts, not from ФСРАР's documentation, which does
not publish this page: *unverified* against a live УТМ. The home page's
texts («Проблемы с RSA», «Отсутствуют неотправленные чеки», «Чеки не
отправлялись с ...») are quoted from the same scripts and DOMAIN.md.
"""
import argparse
import datetime
import json
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MSK = datetime.timezone(datetime.timedelta(hours=3))


def utm_time(days):
    t = datetime.datetime.now(MSK) + datetime.timedelta(days=days)
    return t.strftime("%Y-%m-%d %H:%M:%S +0300")


def info(opts):
    return {
        "version": "4.2.0-b2582",
        "contour": "prod",
        "rsaError": opts["rsa_error"],
        "checkInfo": None,
        "ownerId": opts["owner"],
        "db": {"createDate": utm_time(-400), "ownerId": opts["owner"]},
        "rsa": {"certType": "RSA", "startDate": utm_time(-165),
                "expireDate": utm_time(opts["rsa_days"]),
                "isValid": "valid" if opts["rsa_days"] > 0 else "expired",
                "issuer": "pki.fsrar.ru"},
        "gost": {"certType": "GOST", "startDate": utm_time(-165),
                 "expireDate": utm_time(opts["gost_days"]),
                 "isValid": "valid" if opts["gost_days"] > 0 else "expired",
                 "issuer": "ООО \"Тестовый УЦ\""},
        "license": True,
        **({"padding": "x" * opts["pad"]} if opts["pad"] else {}),
    }


def home(opts):
    banner = "<div class=\"alert\">Проблемы с RSA</div>" if opts["home_problem"] else ""
    return ("<html><head><meta charset=\"utf-8\"><title>УТМ</title></head><body>"
            + banner + "<p>Отсутствуют неотправленные чеки</p></body></html>")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--rsa-days", type=float, default=200)
    ap.add_argument("--gost-days", type=float, default=200)
    ap.add_argument("--owner", default="030000123456")
    ap.add_argument("--rsa-error", default=None)
    ap.add_argument("--home-problem", action="store_true")
    ap.add_argument("--html", action="store_true")
    ap.add_argument("--status", type=int, default=200)
    ap.add_argument("--pad", type=int, default=0)
    a = ap.parse_args()
    opts = {"rsa_days": a.rsa_days, "gost_days": a.gost_days, "owner": a.owner,
            "rsa_error": a.rsa_error, "home_problem": a.home_problem, "html": a.html,
            "status": a.status, "pad": a.pad}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, fmt, *args):
            pass

        def send(self, status, ctype, body):
            data = body.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path == "/api/info/list":
                if opts["html"]:
                    self.send(opts["status"], "text/html; charset=utf-8", home(opts))
                else:
                    self.send(opts["status"], "application/json", json.dumps(info(opts), ensure_ascii=False))
            elif self.path == "/home":
                self.send(200, "text/html; charset=utf-8", home(opts))
            else:
                self.send(404, "text/plain", "not found")

        def do_POST(self):
            if self.path != "/_fake":
                self.send(404, "text/plain", "not found")
                return
            n = int(self.headers.get("Content-Length", "0"))
            opts.update(json.loads(self.rfile.read(n) or b"{}"))
            self.send(200, "application/json", json.dumps(opts))

    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("PORT %d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass


if __name__ == "__main__":
    main()
