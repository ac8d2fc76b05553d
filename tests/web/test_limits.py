"""Guessing secrets is slow: wrong tokens and sign-in link requests are counted per client and per
address, with the app's clock; past the limit the answer is 429 with a Vietnamese message."""
import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from dondoc.web import create_app
from models.accounts import SignInToken, issue_signin_token, token_hash
from models.clock import FixedClock
from models.db import transaction
from models.review.tables import ReviewToken
from tests.abuse_support import DURING, open_review, review_token
from tests.conftest import at_vn
from tests.web.conftest import BOB, TODAY

WINDOW = timedelta(seconds=900)  # DONDOC_RATE_LIMIT_WINDOW_SECONDS' default
TOKEN_FAILURES = 10  # DONDOC_TOKEN_FAILURES_PER_CLIENT's default


def link_token(mailbox, address) -> str:
    return mailbox.signin_link(address).rsplit("/", 1)[1]


def test_the_eleventh_wrong_review_token_from_one_client_is_answered_429_in_vietnamese(visitor):
    for attempt in range(TOKEN_FAILURES):
        assert visitor.get(f"/review/guess-{attempt}").status_code == 404
    refused = visitor.get("/review/guess-again")
    assert refused.status_code == 429
    assert "Quá nhiều lần thử" in refused.text and "15 phút" in refused.text
    assert refused.headers["retry-after"] == "900"


def test_a_right_review_token_is_refused_while_blocked_and_works_once_the_window_has_passed(web_context, app):
    open_review(web_context)
    app.state.clock = FixedClock(at_vn(DURING, 9))
    token = review_token(web_context, "BA-BE", now=app.state.clock.now())
    client = TestClient(app)
    for attempt in range(TOKEN_FAILURES):
        assert client.get(f"/review/guess-{attempt}").status_code == 404
    assert client.get(f"/review/{token}").status_code == 429
    app.state.clock.advance(WINDOW - timedelta(seconds=1))
    assert client.get(f"/review/{token}").status_code == 429
    app.state.clock.advance(timedelta(seconds=1))
    page = client.get(f"/review/{token}")
    assert page.status_code == 200 and "Ủy ban nhân dân huyện Ba Bể" in page.text


def test_wrong_tokens_from_one_client_do_not_block_another(web_context, app):
    open_review(web_context)
    app.state.clock = FixedClock(at_vn(DURING, 9))
    token = review_token(web_context, "BA-BE", now=app.state.clock.now())
    guesser, other = TestClient(app, client=("203.0.113.7", 4000)), TestClient(app, client=("198.51.100.2", 4000))
    for attempt in range(TOKEN_FAILURES + 1):
        guesser.get(f"/review/guess-{attempt}")
    assert guesser.get(f"/review/{token}").status_code == 429
    assert other.get(f"/review/{token}").status_code == 200


def test_wrong_sign_in_links_count_too_and_a_right_link_works_after_the_window(app, visitor, smtp):
    mailbox, _ = smtp
    app.state.clock = FixedClock(at_vn(TODAY, 8))
    visitor.post("/signin/link", data=dict(email=BOB[0], csrf=visitor.csrf()))
    token = link_token(mailbox, BOB[0])
    for attempt in range(TOKEN_FAILURES // 2):
        assert visitor.get(f"/signin/link/guess-{attempt}").status_code == 400
        assert visitor.post(f"/signin/link/guess-{attempt}", data=dict(csrf=visitor.csrf())).status_code == 400
    assert visitor.get(f"/signin/link/{token}").status_code == 429
    assert visitor.post(f"/signin/link/{token}", data=dict(csrf=visitor.csrf())).status_code == 429
    app.state.clock.advance(WINDOW)
    used = visitor.post(f"/signin/link/{token}", data=dict(csrf=visitor.csrf()), follow_redirects=False)
    assert used.status_code == 303 and used.headers["location"] == "/my"


def test_a_sixth_sign_in_link_for_one_address_within_the_window_is_refused(app, visitor, smtp, web_context):
    mailbox, _ = smtp
    app.state.clock = FixedClock(at_vn(TODAY, 8))
    before = len(mailbox.to(BOB[0]))
    for _ in range(5):
        assert visitor.post("/signin/link", data=dict(email=BOB[0], csrf=visitor.csrf())).status_code == 200
    refused = visitor.post("/signin/link", data=dict(email=" bob@SKHDT.example.org", csrf=visitor.csrf()))
    assert refused.status_code == 429 and "Quá nhiều lần thử" in refused.text
    assert len(mailbox.to(BOB[0])) - before == 5
    app.state.clock.advance(WINDOW)
    assert visitor.post("/signin/link", data=dict(email=BOB[0], csrf=visitor.csrf())).status_code == 200
    assert len(mailbox.to(BOB[0])) - before == 6


def test_an_unknown_address_is_limited_like_a_known_one_so_the_limit_tells_nothing(visitor):
    for _ in range(5):
        assert visitor.post("/signin/link", data=dict(email="mallory@example.org", csrf=visitor.csrf())).status_code == 200
    assert visitor.post("/signin/link", data=dict(email="mallory@example.org", csrf=visitor.csrf())).status_code == 429


def test_links_issued_for_an_address_are_counted_in_the_database_so_a_new_process_still_limits(web_context, smtp):
    clock = FixedClock(at_vn(TODAY, 8))
    with transaction(web_context.engine) as session:
        for _ in range(5):
            issue_signin_token(session, email=BOB[0], now=clock.now())
    fresh = create_app(web_context)  # another process: its own, empty counters
    fresh.state.clock = clock
    client = TestClient(fresh)
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/signin").text).group(1)
    assert client.post("/signin/link", data=dict(email=BOB[0], csrf=csrf)).status_code == 429


def test_one_client_asking_links_for_many_addresses_is_limited(visitor):
    for n in range(20):
        assert visitor.post("/signin/link", data=dict(email=f"person{n}@example.org", csrf=visitor.csrf())).status_code == 200
    assert visitor.post("/signin/link", data=dict(email="person99@example.org", csrf=visitor.csrf())).status_code == 429


def test_sign_in_and_review_tokens_carry_256_bits_and_only_their_hashes_are_stored(web_context, app, smtp):
    mailbox, _ = smtp
    visitor = TestClient(app)
    csrf = re.search(r'name="csrf" value="([^"]+)"', visitor.get("/signin").text).group(1)
    visitor.post("/signin/link", data=dict(email=BOB[0], csrf=csrf))
    app.state.courier.drain()  # the email goes out after the answer
    signin = link_token(mailbox, BOB[0])
    open_review(web_context)
    review = review_token(web_context, "SKHDT", now=at_vn(DURING))
    for token in (signin, review):
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)  # secrets.token_urlsafe(32): 32 random bytes
    with Session(web_context.engine) as session:
        signin_rows = session.exec(select(SignInToken.token_hash)).all()
        review_rows = session.exec(select(ReviewToken.token_hash)).all()
    assert token_hash(signin) in signin_rows and signin not in signin_rows
    assert all(len(h) == 64 for h in signin_rows + review_rows) and review not in review_rows


def test_wrong_staff_passwords_are_limited_like_wrong_links_and_the_right_one_works_after_the_window(app, visitor):
    from tests.web.conftest import ALICE

    app.state.clock = FixedClock(at_vn(TODAY, 8))
    for attempt in range(TOKEN_FAILURES):
        wrong = visitor.post("/signin/password", data=dict(email=ALICE[0], password=f"đoán {attempt}", csrf=visitor.csrf()))
        assert wrong.status_code == 400
    refused = visitor.post("/signin/password", data=dict(email=ALICE[0], password=ALICE[2], csrf=visitor.csrf()))
    assert refused.status_code == 429 and "Quá nhiều lần thử" in refused.text
    app.state.clock.advance(WINDOW)
    signed_in = visitor.post("/signin/password", data=dict(email=ALICE[0], password=ALICE[2], csrf=visitor.csrf()),
                             follow_redirects=False)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/overview"
