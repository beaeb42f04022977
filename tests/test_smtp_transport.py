"""SMTP delivery against real servers on 127.0.0.1: over TLS the server's certificate is verified (a private CA
can be trusted with MAIL_CA_FILE), and a server that never answers makes the delivery fail after the timeout
instead of hanging the worker."""

import shutil
import smtplib
import socket
import ssl
import subprocess
import threading
import time
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from clinic.notifications.services import SmtpTransport

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for the name localhost (and no address): a private CA of its own."""
    folder = tmp_path_factory.mktemp("tls")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost",
         "-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem")],
        check=True, capture_output=True, timeout=60,
    )
    return folder / "cert.pem", folder / "key.pem"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append(envelope.content)
        return "250 OK"


@pytest.fixture
def smtps_server(certificate):
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(cert), str(key))
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), ssl_context=context)
    controller.start()
    yield controller.port, inbox
    controller.stop()


def a_message() -> EmailMessage:
    email = EmailMessage()
    email["From"], email["To"], email["Subject"] = "clinic@opdc.go.th", "officer@diw.go.th", "ทดสอบ"
    email.set_content("สวัสดี")
    return email


def test_a_server_whose_certificate_is_not_trusted_gets_no_mail(smtps_server):
    port, inbox = smtps_server
    with pytest.raises(ssl.SSLCertVerificationError):
        SmtpTransport(f"smtps://localhost:{port}", timeout=5).send(a_message(), 1)
    assert inbox.messages == []


def test_a_private_ca_is_trusted_when_configured(smtps_server, certificate):
    port, inbox = smtps_server
    SmtpTransport(f"smtps://localhost:{port}", ca_file=str(certificate[0]), timeout=5).send(a_message(), 1)
    assert len(inbox.messages) == 1


def test_a_certificate_for_another_name_is_refused(smtps_server, certificate):
    port, inbox = smtps_server
    with pytest.raises(ssl.SSLCertVerificationError):
        SmtpTransport(f"smtps://127.0.0.1:{port}", ca_file=str(certificate[0]), timeout=5).send(a_message(), 1)
    assert inbox.messages == []


def test_a_server_that_never_answers_fails_after_the_timeout():
    """It accepts the connection and says nothing: without a timeout the worker would wait for ever."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True).start()
    started = time.monotonic()
    try:
        with pytest.raises((TimeoutError, smtplib.SMTPServerDisconnected)):
            SmtpTransport(f"smtp://127.0.0.1:{listener.getsockname()[1]}", timeout=1).send(a_message(), 1)
        assert time.monotonic() - started < 10
    finally:
        for connection in accepted:
            connection.close()
        listener.close()
