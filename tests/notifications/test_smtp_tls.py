"""STARTTLS, implicit TLS and SMTP AUTH against a real server on loopback (aiosmtpd with a
certificate made for the test)."""
import ipaddress
import ssl
from datetime import date, datetime, timedelta, timezone

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlmodel import Session, select

from config.policy import ReminderPolicy
from models.outbox import Message, MessageStatus
from notifications.dispatch import dispatch
from notifications.transports import SmtpTransport
from tests.conftest import at_vn
from tests.outbox_support import fill_outbox
from tests.review_support import Mailbox, free_port

NOW = at_vn(date(2016, 1, 15))
USER, PASSWORD = "dondoc", "correct horse battery staple"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1: (certificate file, key file)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dondoc test SMTP")])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(hours=1))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    return folder / "cert.pem", folder / "key.pem"


def authenticate(server, session, envelope, mechanism, auth_data):
    if (auth_data.login, auth_data.password) == (USER.encode(), PASSWORD.encode()):
        return AuthResult(success=True)
    # (aiosmtpd 1.4 sends no reply to a refused AUTH PLAIN unless given one)
    return AuthResult(success=False, handled=False, message="535 5.7.8 Authentication credentials invalid")


def start_tls_server(certificate, mode: str):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    box = Mailbox()
    options = dict(authenticator=authenticate, auth_required=True)
    if mode == "starttls":
        controller = Controller(box, hostname="127.0.0.1", port=free_port(), tls_context=context,
                                require_starttls=True, **options)
    else:
        controller = Controller(box, hostname="127.0.0.1", port=free_port(), ssl_context=context,
                                auth_require_tls=False, **options)
    controller.start()
    return controller, box


# (aiosmtpd does not count implicit TLS as TLS for auth_require_tls, and warns)
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_mail_goes_out_over_tls_with_a_login_to_a_server_whose_certificate_is_checked(settings, engine, certificate,
                                                                                    mode):
    controller, box = start_tls_server(certificate, mode)
    smtp = settings.model_copy(update=dict(smtp_host="127.0.0.1", smtp_port=controller.port, smtp_tls=mode,
                                           smtp_user=USER, smtp_password=PASSWORD, smtp_ca_file=str(certificate[0])))
    ids = fill_outbox(engine, 3, now=NOW)
    try:
        report = dispatch(engine, SmtpTransport(smtp), now=NOW, policy=ReminderPolicy())
    finally:
        controller.stop()
    assert report.sent == 3 and not report.errors
    assert [m.message_id for m in box.messages] == ids


@pytest.mark.parametrize("problem, expected, vietnamese", [
    (dict(smtp_password="wrong password"), "535",
     "máy chủ không chấp nhận tên đăng nhập hoặc mật khẩu (535 5.7.8 Authentication credentials invalid): kiểm tra "
     "DONDOC_SMTP_USER và DONDOC_SMTP_PASSWORD"),
    (dict(smtp_ca_file=""), "CERTIFICATE_VERIFY_FAILED",  # not signed by a CA the system knows
     "không tin được chứng chỉ TLS của máy chủ (SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED]"),
])
def test_a_wrong_password_or_an_untrusted_certificate_sends_nothing_and_keeps_the_mail_queued(
        settings, engine, certificate, problem, expected, vietnamese):
    from notifications.delivery_errors import explain_line
    controller, box = start_tls_server(certificate, "starttls")
    smtp = settings.model_copy(update=dict(smtp_host="127.0.0.1", smtp_port=controller.port, smtp_tls="starttls",
                                           smtp_user=USER, smtp_password=PASSWORD, smtp_ca_file=str(certificate[0]))
                               | problem)
    fill_outbox(engine, 3, now=NOW)
    try:
        report = dispatch(engine, SmtpTransport(smtp), now=NOW, policy=ReminderPolicy())
    finally:
        controller.stop()
    assert box.messages == []
    assert (report.sent, report.retrying) == (0, 3)
    assert len(report.errors) == 1 and expected in report.errors[0], report.errors
    # what `dondoc remind` prints in Vietnamese: what happened, and what the IT officer checks
    assert vietnamese in explain_line(report.errors[0], "vi"), explain_line(report.errors[0], "vi")
    assert explain_line(report.errors[0], "en") == report.errors[0]
    with Session(engine) as session:
        assert {(m.status, m.attempts) for m in session.exec(select(Message))} == {(MessageStatus.QUEUED, 1)}
