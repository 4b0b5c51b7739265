"""Security as the browser meets it: headers, CSRF, rate limits, cookies, keys, error pages."""

from __future__ import annotations

import html
import logging
import re
import stat
from urllib.parse import urlsplit

import pytest

from confapp import config as cfg
from confapp.auth import services as users
from confapp.extensions import db
from confapp.models import Role, User
from tests import factories
from tests.conftest import make_app
from tests.world import build_world, log_in_as, snapshot, url_for_rule

TEMPLATES = cfg.PROJECT_ROOT / "templates"
CSRF_MESSAGE = "The form had expired or was sent from elsewhere. Go back, reload and try again."
TOKEN_IN_PAGE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def text(response) -> str:
    """What the page says, as a person reads it: tags dropped, spaces collapsed."""
    words = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return re.sub(r"\s+", " ", html.unescape(words))


def token_from(response) -> str:
    found = TOKEN_IN_PAGE.search(response.get_data(as_text=True))
    assert found, "no CSRF token in the page"
    return found.group(1)


def is_logged_in(client) -> bool:
    return client.get("/").status_code == 200


# ---- headers and templates ------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/login", "/", "/no-such-page", "/api/v1/openapi.json"])
def test_security_headers(client, path):
    response = client.get(path)

    csp = [part.strip() for part in response.headers["Content-Security-Policy"].split(";")]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in response.headers  # only with secure cookies
    names = [name.lower() for name, _ in response.headers]
    assert len(names) == len(set(names)), "a header was sent twice"


def test_a_view_that_sets_a_security_header_itself_keeps_its_own(app, client):
    own = "default-src 'none'"
    app.add_url_rule("/own-policy", "own_policy", lambda: ("x", {"content-security-policy": own}))

    response = client.get("/own-policy")

    assert response.headers.getlist("Content-Security-Policy") == [own]
    assert response.headers["X-Frame-Options"] == "DENY"  # the others still added


def test_a_new_secret_key_ends_old_sessions_and_a_fallback_keeps_them(app, client, db):
    user = factories.user()
    client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    assert is_logged_in(client)
    old_key, old_cookie = app.secret_key, client.get_cookie("session").value

    app.secret_key = "a-new-key-after-a-leak"
    assert not is_logged_in(client)

    app.config["SECRET_KEY_FALLBACKS"] = [old_key]
    client.set_cookie("session", old_cookie, domain="localhost")
    assert is_logged_in(client)


def template_tags():
    """(template, tag) for every HTML start tag in every template."""
    for path in sorted(TEMPLATES.rglob("*.html")):
        source = path.read_text(encoding="utf-8")
        for tag in re.findall(r"<[a-zA-Z][^>]*>", source):
            yield path.relative_to(TEMPLATES), tag


def test_templates_have_no_inline_script():
    """The CSP blocks inline script: any would silently not run, so none may be written."""
    scripts = [(name, tag) for name, tag in template_tags() if re.match(r"<script\b", tag, re.I)]

    assert scripts, "no <script> found at all: the scan is not reading the templates"
    assert [(name, tag) for name, tag in scripts if not re.search(r"\ssrc=", tag)] == []


def test_templates_have_no_inline_handlers_or_styles():
    """Event-handler attributes, javascript: links and inline styles are blocked by the CSP too."""
    blocked = [
        (str(name), tag)
        for name, tag in template_tags()
        if re.search(r"\son[a-z]+\s*=|\sstyle\s*=|javascript:", tag, re.I)
        or re.match(r"<style\b", tag, re.I)
    ]

    assert blocked == []


# ---- CSRF -----------------------------------------------------------------------------------


# A member's voting link: the code in the address is the key, not a login, so a page that
# could forge the POST would need the code, and could vote with it anyway (voting_pages.vote).
KEYED_BY_ADDRESS = {"/vote/<code>"}


class TestCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    @pytest.fixture
    def user(self, db):
        return factories.user()

    def log_in(self, client, email: str):
        token = token_from(client.get("/login"))
        response = client.post(
            "/login",
            data={"email": email, "password": factories.PASSWORD, "csrf_token": token},
        )
        assert response.status_code == 302

    def test_login_without_token_is_refused(self, client, user):
        response = client.post("/login", data={"email": user.email, "password": factories.PASSWORD})

        assert response.status_code == 400
        assert CSRF_MESSAGE in text(response)
        assert not is_logged_in(client)

    def test_login_with_a_wrong_token_is_refused(self, client, user):
        client.get("/login")
        response = client.post(
            "/login",
            data={"email": user.email, "password": factories.PASSWORD, "csrf_token": "forged"},
        )

        assert response.status_code == 400
        assert not is_logged_in(client)

    def test_login_with_the_token_from_the_form_works(self, client, user):
        self.log_in(client, user.email)

        assert is_logged_in(client)

    def test_every_post_route_needs_the_token(self, app, client, db):
        """Whatever POST route exists, a request without the token changes nothing."""
        world = build_world()  # a row behind every URL variable, as in the permission table
        self.log_in(client, world.emails["site_admin"])  # allowed everywhere
        post_rules = [r.rule for r in app.url_map.iter_rules() if "POST" in r.methods]
        assert "/admin/conferences/<int:conference_id>/users" in post_rules
        assert "/groups/<int:group_id>/people/<int:delegate_id>/withdraw" in post_rules
        before = snapshot()

        assert set(post_rules) >= KEYED_BY_ADDRESS
        for rule in post_rules:
            url = url_for_rule(rule, world)
            response = client.post(url, data={"email": "x@example.org", "role": "teller"})
            if rule in KEYED_BY_ADDRESS:
                assert CSRF_MESSAGE not in text(response), rule  # and the snapshot holds
                continue
            assert response.status_code == 400, rule
            assert CSRF_MESSAGE in text(response), rule

        assert is_logged_in(client)  # /logout without a token did not log out
        assert snapshot() == before  # nobody invited, approved, withdrawn, submitted, seated...
        assert db.session.get(User, world.invitee_id).password_hash is None

    def test_rule_preview_needs_the_header(self, client, db):
        conference = factories.conference()
        self.log_in(client, factories.user(conf=conference, role=Role.ADMIN).email)
        token = token_from(client.get(f"/admin/conferences/{conference.id}/edit"))
        rule = {"formula": "steps", "first": "100", "step": "100", "rounding": "up"}
        rule.update({"minimum": "1", "cap": "5", "samples": "250"})

        without = client.post("/admin/rule-preview", data=rule)
        with_header = client.post("/admin/rule-preview", data=rule, headers={"X-CSRFToken": token})

        assert without.status_code == 400
        assert CSRF_MESSAGE in text(without)
        assert with_header.status_code == 200
        assert "1 delegate for the first 100 members" in text(with_header)
        assert "250 0 0 3 – 3 250" in text(with_header)  # 250 members: 3 delegates


# ---- where the committee is sent back to ---------------------------------------------------

# The queue's forms send `next` (the queue's own address) so a decision returns there; the
# review follows it only within the site, as the login's ?next= (tests/auth/test_login.py).
QUEUE = "/admin/conferences/{c}/queue"


@pytest.mark.parametrize(
    ("target", "lands_on"),
    [
        pytest.param(QUEUE + "?group=2", QUEUE + "?group=2", id="the queue"),
        pytest.param("//evil.example", QUEUE, id="protocol-relative"),
        pytest.param("https://evil.example/queue", QUEUE, id="absolute"),
        pytest.param("javascript:alert(1)", QUEUE, id="javascript"),
        pytest.param("/\t/evil.example", QUEUE, id="tab"),
        pytest.param("/\n/evil.example", QUEUE, id="newline"),
        pytest.param("/\\evil.example", QUEUE, id="backslash"),
    ],
)
def test_a_decision_returns_only_within_the_site(client, db, target, lands_on):
    world = build_world()
    log_in_as(client, world, "admin")
    rule = "/admin/conferences/<int:conference_id>/groups/<int:group_id>/approve"

    response = client.post(
        url_for_rule(rule, world), data={"next": target.format(c=world.conference_id)}
    )

    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.scheme in ("", "http") and location.netloc in ("", "localhost")
    assert location.path + (f"?{location.query}" if location.query else "") == lands_on.format(
        c=world.conference_id
    )


def test_a_next_with_a_newline_does_not_break_the_login(client, db):
    user = factories.user()

    response = client.post(
        "/login",
        query_string={"next": "/groups\n/1"},
        data={"email": user.email, "password": factories.PASSWORD},
    )

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).netloc in ("", "localhost")


# ---- the login rate limit -------------------------------------------------------------------


class TestLoginRateLimit:
    @pytest.fixture
    def app_config(self):
        return {"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "3 per minute"}

    def test_the_fourth_attempt_is_refused_even_with_the_right_password(self, client, db):
        user = factories.user()
        for _ in range(3):
            wrong = client.post("/login", data={"email": user.email, "password": "wrong guess"})
            assert wrong.status_code == 200
            assert "do not match an account" in text(wrong)

        response = client.post("/login", data={"email": user.email, "password": factories.PASSWORD})

        assert response.status_code == 429
        assert "Too many attempts" in text(response)
        assert "Error 429" in text(response)
        assert "Retry-After" in response.headers
        assert not is_logged_in(client)
        db.session.expire_all()
        assert db.session.get(User, user.id).last_login_at is None

    def test_the_refusal_says_what_to_do(self, client, db):
        for _ in range(4):
            response = client.post("/login", data={"email": "a@example.org", "password": "x"})

        assert response.status_code == 429
        assert "Wait a minute and try again." in text(response)
        assert "per 1 minute" not in text(response)

    def test_looking_at_the_login_page_is_not_counted(self, client, db):
        user = factories.user()
        for _ in range(5):
            assert client.get("/login").status_code == 200

        response = client.post("/login", data={"email": user.email, "password": factories.PASSWORD})

        assert response.status_code == 302


# ---- cookies --------------------------------------------------------------------------------


class TestSecureCookies:
    @pytest.fixture
    def app_config(self):
        return {"SECURE_COOKIES": True}

    def test_session_cookie_is_secure_httponly_and_lax(self, client, db):
        user = factories.user()

        response = client.post("/login", data={"email": user.email, "password": factories.PASSWORD})

        cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
        assert len(cookies) == 1
        attributes = {part.strip().split("=")[0].lower(): part for part in cookies[0].split(";")}
        assert "secure" in attributes
        assert "httponly" in attributes
        assert attributes["samesite"].strip() == "SameSite=Lax"
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")


# ---- the secret key and configuration layers ------------------------------------------------


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No CONFAPP_* settings from the machine running the tests; the instance folder in tmp."""
    for name in cfg.ENV_SETTINGS:
        monkeypatch.delenv(f"CONFAPP_{name}", raising=False)
    instance = tmp_path / "instance"
    monkeypatch.setenv("CONFAPP_INSTANCE_PATH", str(instance))
    return instance


def test_secret_key_is_made_once_and_kept(database, tmp_path, clean_env):
    assert not clean_env.exists()

    first = make_app(database, tmp_path, SECRET_KEY=None)
    key_file = clean_env / "secret_key"
    written = key_file.read_text()
    second = make_app(database, tmp_path, SECRET_KEY=None)

    assert re.fullmatch(r"[0-9a-f]{64}", written.strip())
    assert first.secret_key == second.secret_key == written.strip()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key_file.read_text() == written
    assert sorted(p.name for p in clean_env.iterdir()) == ["secret_key"]  # no temp file left


def test_a_login_survives_a_restart_with_the_generated_key(database, tmp_path, clean_env):
    first = make_app(database, tmp_path, SECRET_KEY=None)
    with first.app_context():
        db.create_all()
        email = factories.user().email
        browser = first.test_client()
        browser.post("/login", data={"email": email, "password": factories.PASSWORD})
        session_cookie = browser.get_cookie("session").value
        db.engine.dispose()

    restarted = make_app(database, tmp_path, SECRET_KEY=None)
    with restarted.app_context():
        browser = restarted.test_client()
        browser.set_cookie("session", session_cookie, domain="localhost")
        assert browser.get("/").status_code == 200
        db.engine.dispose()


def test_configuration_layers(database, tmp_path, clean_env, monkeypatch):
    clean_env.mkdir()
    (clean_env / "config.py").write_text(
        'LOGIN_RATE_LIMIT = "5 per hour"\n'
        'BASE_URL = "https://instance.example"\n'
        "INVITATION_DAYS = 3\n"
    )

    defaults_only = make_app(database, tmp_path / "elsewhere")  # no instance/config.py there
    monkeypatch.setenv("CONFAPP_INSTANCE_PATH", str(clean_env))
    with_instance = make_app(database, tmp_path)
    monkeypatch.setenv("CONFAPP_BASE_URL", "https://env.example")
    monkeypatch.setenv("CONFAPP_PROXY_COUNT", "2")
    with_env = make_app(database, tmp_path)

    assert defaults_only.config["LOGIN_RATE_LIMIT"] == "10 per minute"
    assert defaults_only.config["BASE_URL"] is None
    assert with_instance.config["LOGIN_RATE_LIMIT"] == "5 per hour"
    assert with_instance.config["BASE_URL"] == "https://instance.example"
    assert with_env.config["BASE_URL"] == "https://env.example"
    assert with_env.config["PROXY_COUNT"] == 2
    assert with_env.config["LOGIN_RATE_LIMIT"] == "5 per hour"  # no variable: instance holds
    assert with_env.config["INVITATION_DAYS"] == 3
    # What a user sees of it: the invitation link is on the address the environment names.
    with with_env.test_request_context():
        assert users.invitation_url("abc") == "https://env.example/invite/abc"
    with with_instance.test_request_context():
        assert users.invitation_url("abc") == "https://instance.example/invite/abc"


# ---- error pages ----------------------------------------------------------------------------


def test_unknown_address_gets_the_friendly_404(client):
    response = client.get("/no/such/page")

    assert response.status_code == 404
    assert "Not found" in text(response)
    assert "There is nothing at this address." in text(response)
    assert "Go to the start page" in text(response)


def test_a_crash_shows_something_went_wrong_not_a_traceback(database, tmp_path, clean_env, caplog):
    app = make_app(database, tmp_path, PROPAGATE_EXCEPTIONS=False)

    @app.route("/boom")
    def boom():
        raise RuntimeError("secret internals: password=hunter2")

    with caplog.at_level(logging.ERROR):
        response = app.test_client().get("/boom")

    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in page
    assert "The error is logged. Nothing was saved; please try again." in page
    assert "Traceback" not in page
    assert "hunter2" not in page and "RuntimeError" not in page
    assert any(r.exc_info and "hunter2" in str(r.exc_info[1]) for r in caplog.records)
    with app.app_context():
        db.engine.dispose()
