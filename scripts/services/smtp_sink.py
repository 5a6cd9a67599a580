"""A real SMTP server on loopback for the tests (aiosmtpd), writing every message it accepts
to a Maildir.

Two listeners on 127.0.0.1:
- plain, offering STARTTLS and AUTH PLAIN/LOGIN (login only after STARTTLS, as real servers do);
- implicit TLS (SMTPS) with AUTH.
The one login accepted is --user / --password; any other is answered 535. A recipient whose
local part is "refused" is answered 550, so the tests can see a refused recipient.
Each stored message carries the envelope (X-MailFrom, X-RcptTo) and how it came
(X-Sink-Tls: none | starttls | implicit; X-Sink-Login: the user name, or empty).

When both listeners are up, "smtp=127.0.0.1:PORT" and "smtps=127.0.0.1:PORT" are written to
--ready; the server then runs until SIGTERM/SIGINT.
"""

import argparse
import os
import signal
import socket
import ssl
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import AuthResult, LoginPassword


class Sink(Mailbox):
    def __init__(self, maildir, implicit_tls):
        super().__init__(maildir)
        self.implicit_tls = implicit_tls

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.split("@", 1)[0].lower() == "refused":
            return "550 5.1.1 <%s>: no such mailbox here" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def prepare_message(self, session, envelope):
        message = super().prepare_message(session, envelope)
        if self.implicit_tls:
            tls = "implicit"
        elif session.ssl is not None:
            tls = "starttls"
        else:
            tls = "none"
        message["X-Sink-Tls"] = tls
        login = ""
        if session.authenticated and isinstance(session.auth_data, LoginPassword):
            login = session.auth_data.login.decode("utf-8", "replace")
        message["X-Sink-Login"] = login
        return message


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == user.encode()
            and auth_data.password == password.encode()
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    return check


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--maildir", required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--ready", required=True)
    a = p.parse_args()

    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(a.cert, a.key)
    check = authenticator(a.user, a.password)
    plain = Controller(
        Sink(a.maildir, implicit_tls=False),
        hostname="127.0.0.1",
        port=free_port(),
        server_hostname="localhost",
        tls_context=tls,
        require_starttls=False,
        auth_require_tls=True,
        authenticator=check,
    )
    # The controller's own start-up check connects with TLS and must trust the certificate.
    implicit = Controller(
        Sink(a.maildir, implicit_tls=True),
        hostname="127.0.0.1",
        port=free_port(),
        server_hostname="localhost",
        ssl_context=tls,
        auth_require_tls=False,
        authenticator=check,
    )
    plain.start()
    try:
        implicit.start()
    except Exception:
        plain.stop()
        raise
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    with open(a.ready + ".tmp", "w") as f:
        f.write("smtp=127.0.0.1:%d\nsmtps=127.0.0.1:%d\n" % (plain.port, implicit.port))
    os.replace(a.ready + ".tmp", a.ready)
    try:
        while not stop.wait(1):
            pass
    finally:
        implicit.stop()
        plain.stop()


if __name__ == "__main__":
    main()
