"""Login limits: per address and per account, and a warning when workers count on their own."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import pytest

from confapp import factories
from confapp.extensions import db
from confapp.models import User
from tests.auth.test_invitation import text
from tests.conftest import make_app

WRONG = "not the password at all"
NO_MATCH = "That e-mail and password do not match an account."


def attempt(client, email, password, address):
    return client.post(
        "/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


class TestPerAccountLimit:
    @pytest.fixture
    def app_config(self):
        return {
            "RATELIMIT_ENABLED": True,
            "LOGIN_RATE_LIMIT": "100 per minute",
            "LOGIN_ACCOUNT_RATE_LIMIT": "3 per minute",
        }

    def test_guesses_from_many_addresses_lock_the_account_not_the_addresses(self, app, db):
        victim = factories.user("victim@example.org")
        other = factories.user("other@example.org")
        for n, typed in enumerate(
            ["victim@example.org", " Victim@Example.ORG", "VICTIM@example.org"]
        ):
            wrong = attempt(app.test_client(), typed, WRONG, f"198.51.100.{n}")
            assert wrong.status_code == 200
            assert NO_MATCH in text(wrong)

        fourth = attempt(app.test_client(), victim.email, factories.PASSWORD, "203.0.113.9")

        assert fourth.status_code == 429
        assert "Too many attempts" in text(fourth)
        assert "Wait a minute and try again." in text(fourth)
        assert "Retry-After" in fourth.headers
        db.session.expire_all()
        assert db.session.get(User, victim.id).last_login_at is None
        # Another account, from the very address that guessed, is not held up.
        fine = attempt(app.test_client(), other.email, factories.PASSWORD, "198.51.100.0")
        assert fine.status_code == 302

    def test_logging_in_on_many_devices_at_once_is_not_refused(self, app, db):
        """Only failures count against an account: a team sharing a login is never locked."""
        steward = factories.user("door@example.org")
        for n in range(6):
            response = attempt(app.test_client(), steward.email, factories.PASSWORD, f"10.0.0.{n}")
            assert response.status_code == 302
            assert urlsplit(response.headers["Location"]).path == "/"


class TestPerAddressLimitStays:
    @pytest.fixture
    def app_config(self):
        return {
            "RATELIMIT_ENABLED": True,
            "LOGIN_RATE_LIMIT": "3 per minute",
            "LOGIN_ACCOUNT_RATE_LIMIT": "100 per minute",
        }

    def test_one_address_trying_many_accounts_is_refused(self, app, db):
        client = app.test_client()
        for n in range(3):
            assert attempt(client, f"guess{n}@example.org", WRONG, "192.0.2.7").status_code == 200

        assert attempt(client, "guess9@example.org", WRONG, "192.0.2.7").status_code == 429


# ---- the warning at start-up ------------------------------------------------------------------

WARNING = "CONFAPP_RATELIMIT_STORAGE_URI=redis://"


def start(database, tmp_path, caplog, **config):
    with caplog.at_level(logging.WARNING):
        app = make_app(database, tmp_path, **config)
    with app.app_context():
        db.engine.dispose()
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def test_a_production_start_with_counts_in_memory_says_what_to_set(database, tmp_path, caplog):
    warnings = start(
        database, tmp_path, caplog, TESTING=False, RATELIMIT_ENABLED=True, SECURE_COOKIES=True
    )

    (warning,) = [w for w in warnings if WARNING in w]
    assert "memory://" in warning
    assert "several workers" in warning


@pytest.mark.parametrize(
    "config",
    [
        {"TESTING": True, "RATELIMIT_ENABLED": True},
        {"TESTING": False, "DEBUG": True, "RATELIMIT_ENABLED": True},
        {"TESTING": False, "RATELIMIT_ENABLED": False},
    ],
    ids=["testing", "debug", "limits off"],
)
def test_no_warning_where_one_process_serves_or_nothing_is_counted(
    database, tmp_path, caplog, config
):
    assert not [w for w in start(database, tmp_path, caplog, **config) if WARNING in w]
