"""Signed values (itsdangerous under the settings' secret key): a value signed for one purpose is
refused for another, and any change to it, or another key, makes it worthless."""
from dondoc.web.security import sign, unsign

KEY = "a-secret-key-of-the-province-48-characters-long"


def test_a_signed_value_comes_back_for_its_own_purpose_only():
    token = sign("browser-7f3a", KEY, "csrf")
    assert unsign(token, KEY, "csrf") == "browser-7f3a"
    assert unsign(token, KEY, "session") is None  # a CSRF token is not a session cookie


def test_an_altered_value_or_signature_or_another_key_is_refused():
    token = sign("session-token", KEY, "session")
    value, signature = token.rsplit(".", 1)
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    for forged in (f"other-token.{signature}", f"{value}.{flipped}", value, f"{value}.", "", ".",
                   sign("session-token", "another-key", "session"), "ệ.ệ"):
        assert unsign(forged, KEY, "session") is None, forged


def test_an_empty_value_is_never_taken_as_signed_in():
    assert unsign(sign("", KEY, "session"), KEY, "session") is None
