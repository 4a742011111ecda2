#!/usr/bin/python3
"""A real SMTP server for the tests: Debian's aiosmtpd, with STARTTLS and AUTH.

    smtpd.py --port N --dir DIR [--cert PEM --key PEM] [--no-tls]
             [--user U --password P] [--refuse ADDR]... [--defer ADDR]...

Each message it takes is written to DIR as NNNNNN.eml, the bytes as they
came after DATA (the envelope in DIR/NNNNNN.env: MAIL FROM, then each RCPT
TO, one a line), written to a temporary name and renamed, so that a reader
never sees half a file. --refuse ADDR answers RCPT TO:<ADDR> with 550,
--defer ADDR with 451. With --cert and --key it offers STARTTLS and
requires it before MAIL; AUTH (PLAIN, LOGIN) is then required too when
--user is given. Prints "ready PORT" once it listens; stops on SIGTERM.
"""
import argparse
import os
import signal
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Store:
    def __init__(self, directory, refuse, defer):
        self.dir = directory
        self.refuse = {a.lower() for a in refuse}
        self.defer = {a.lower() for a in defer}
        self.lock = threading.Lock()
        self.n = len([f for f in os.listdir(directory) if f.endswith(".eml")])

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse:
            return "550 5.1.1 <%s>: no such mailbox" % address
        if address.lower() in self.defer:
            return "451 4.3.0 <%s>: try again later" % address
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.n += 1
            base = os.path.join(self.dir, "%06d" % self.n)
        with open(base + ".env.tmp", "w") as f:
            f.write("\n".join([envelope.mail_from] + envelope.rcpt_tos) + "\n")
        os.rename(base + ".env.tmp", base + ".env")
        with open(base + ".tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(base + ".tmp", base + ".eml")
        return "250 2.0.0 queued as %06d" % self.n


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--user")
    p.add_argument("--password")
    p.add_argument("--refuse", action="append", default=[])
    p.add_argument("--defer", action="append", default=[])
    a = p.parse_args()

    kw = {}
    if a.cert:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(a.cert, a.key)
        kw.update(tls_context=tls, require_starttls=True)
    if a.user:
        def check(server, session, envelope, mechanism, data):
            ok = isinstance(data, LoginPassword) and data.login == a.user.encode() \
                and data.password == a.password.encode()
            # handled=False: aiosmtpd answers 535 itself.
            return AuthResult(success=ok, handled=False)
        kw.update(authenticator=check, auth_required=True, auth_require_tls=bool(a.cert))
    ctl = Controller(Store(a.dir, a.refuse, a.defer), hostname=a.host, port=a.port,
                     data_size_limit=0, **kw)
    ctl.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print("ready %d" % a.port, flush=True)
    stop.wait()
    ctl.stop()


if __name__ == "__main__":
    sys.exit(main())
