"""The steward's session, the roster, presence and quorum, and the committee's door tools."""

from __future__ import annotations

import csv
import io
import json
import re

import sqlalchemy as sa
from openapi_spec_validator import validate

from confapp import factories
from confapp.checkin import services
from confapp.checkin.scans import ScanInput, Scanner, record_scan, token_hash
from confapp.credentials.services import live_credential
from confapp.extensions import db
from confapp.models import AuditEntry, DeviceToken, Presence, Role, Scan
from tests.checkin.test_scan_api import scan

# Badge codes are letters A-Z and digits 2-7: made-up codes of letters only.
DIGITS_TO_LETTERS = str.maketrans("0123456789", "ABCDEFGHIJ")


def _steward_scan(client, conference_id, code, direction="in", **fields):
    body = {"code": code, "direction": direction, "nonce": fields.pop("nonce", "s1")}
    return client.post(
        "/api/v1/scans", json=body | {"conference": conference_id, "door": "Main entrance"} | fields
    )


class TestStewardSession:
    """The scan page's own calls: a login session with its CSRF header."""

    def test_a_steward_scans_and_is_named_on_the_record(self, client, login, door):
        login(door.steward)
        response = _steward_scan(client, door.conference.id, door.code("Ann"), device="phone-1")
        assert response.status_code == 200 and response.get_json()["word"] == "ADMITTED"
        stored = db.session.execute(sa.select(Scan)).scalar_one()
        assert stored.user_id == door.steward.id and stored.device == f"u{door.steward.id}:phone-1"
        entry = db.session.execute(
            sa.select(AuditEntry).where(AuditEntry.action == "scan.admitted")
        ).scalar_one()
        assert entry.user_id == door.steward.id and door.steward.email in entry.actor

    def test_two_phones_of_one_steward_are_two_devices(self, client, login, door):
        login(door.steward)
        _steward_scan(client, door.conference.id, door.code("Ann"), device="phone-1")
        second = _steward_scan(client, door.conference.id, door.code("Ben"), device="phone-2")
        assert second.get_json()["replayed"] is False  # same nonce, other phone: a new scan
        assert db.session.execute(sa.select(sa.func.count()).select_from(Scan)).scalar() == 2

    def test_a_secretary_may_not_scan(self, client, login, door):
        group = door.people["Ann"].group
        login(factories.user(conf=door.conference, role=Role.SECRETARY, group=group))
        response = _steward_scan(client, door.conference.id, door.code("Ann"))
        assert response.status_code == 403
        assert "may not scan" in response.get_json()["error"]
        assert db.session.execute(sa.select(Scan)).first() is None

    def test_a_steward_of_another_conference_may_not_scan_here(self, client, login, door):
        other = factories.conference()
        login(factories.user(conf=other, role=Role.STEWARD))
        response = _steward_scan(client, door.conference.id, door.code("Ann"))
        assert response.status_code == 403

    def test_a_session_must_name_the_conference(self, client, login, door):
        login(door.steward)
        response = client.post(
            "/api/v1/scans", json={"code": door.code("Ann"), "direction": "in", "nonce": "a"}
        )
        assert response.status_code == 400 and response.get_json()["field"] == "conference"


def test_a_session_call_without_the_csrf_header_is_refused(app_config, door):
    """With CSRF on (as in production), the page's calls must carry the token."""
    from flask import current_app

    current_app.config["WTF_CSRF_ENABLED"] = True
    client = current_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post(
        "/login",
        data={"email": door.steward.email, "password": factories.PASSWORD, "csrf_token": token},
    )
    door_page = client.get(f"/conferences/{door.conference.id}/door").get_data(as_text=True)
    csrf = door_page.split('data-csrf="')[1].split('"')[0]
    body = {
        "code": door.code("Ann"),
        "direction": "in",
        "nonce": "x",
        "conference": door.conference.id,
        "door": "Main entrance",
    }
    without = client.post("/api/v1/scans", json=body)
    assert without.status_code == 400 and db.session.execute(sa.select(Scan)).first() is None
    with_header = client.post("/api/v1/scans", json=body, headers={"X-CSRFToken": csrf})
    assert with_header.status_code == 200 and with_header.get_json()["word"] == "ADMITTED"


def test_the_roster_has_codes_revoked_codes_and_who_is_inside(client, door):
    from confapp.credentials import services as credentials

    old = door.code("Ben")
    credentials.issue(door.people["Ben"], None, reason="badge lost")
    db.session.commit()
    scan(client, door.token, door.code("Ann"))
    response = client.get(
        f"/api/v1/conferences/{door.conference.id}/roster",
        headers={"Authorization": f"Bearer {door.token}"},
    )
    roster = response.get_json()
    people = {p["name"]: p for p in roster["people"]}
    assert people["Ann Smith"] | {"id": 0} == {
        "id": 0,
        "name": "Ann Smith",
        "group": "Leeds",
        "pass_type": "delegate",
        "approved": True,
        "code": door.code("Ann"),
    }
    assert people["Ben Jones"]["code"] not in (None, old)
    assert people["Vic Visitor"]["pass_type"] == "visitor"
    assert roster["revoked"] == [{"code": old, "name": "Ben Jones", "group": "Leeds"}]
    assert list(roster["inside"]) == [str(door.people["Ann"].id)]
    assert roster["inside"][str(door.people["Ann"].id)]["door"] == "Main entrance"
    assert roster["doors"] == ["Main entrance", "Side door"]


def test_a_token_reads_only_its_own_conferences_roster(client, door):
    other = factories.conference()
    response = client.get(
        f"/api/v1/conferences/{other.id}/roster", headers={"Authorization": f"Bearer {door.token}"}
    )
    assert response.status_code == 404


class TestPresence:
    """Delegates present, votes present and quorum follow the scans."""

    def counters(self, client, door):
        return client.get(
            f"/api/v1/conferences/{door.conference.id}/presence",
            headers={"Authorization": f"Bearer {door.token}"},
        ).get_json()

    def test_only_voting_delegates_count_and_a_group_votes_once(self, client, door):
        before = self.counters(client, door)
        # Ann, Ben, Yan are approved delegates: quorum floor(3 x 50 / 100) + 1 = 2.
        assert (before["inside_now"], before["delegates_present"], before["quorum"]) == (0, 0, 2)
        assert before["is_quorate"] is False
        scan(client, door.token, door.code("Vic"))  # a visitor: inside, but no vote
        scan(client, door.token, door.code("Ann"))
        scan(client, door.side_token, door.code("Ben"))
        now = self.counters(client, door)
        assert (now["inside_now"], now["delegates_present"]) == (3, 2)
        assert now["votes_present"] == 1000  # Leeds's card vote, once for its two delegates
        assert now["is_quorate"] is True
        assert now["by_door"] == [
            {"door": "Main entrance", "inside": 2},
            {"door": "Side door", "inside": 1},
        ]
        scan(client, door.token, door.code("Yan"))
        assert self.counters(client, door)["votes_present"] == 1400
        scan(client, door.token, door.code("Ann"), "out")
        scan(client, door.token, door.code("Ben"), "out")
        assert self.counters(client, door)["votes_present"] == 400

    def test_the_presence_page_shows_sections_groups_and_people(self, client, login, door):
        scan(client, door.token, door.code("Ann"))
        scan(client, door.token, door.code("Yan"))
        login(door.steward)
        page = client.get(f"/conferences/{door.conference.id}/presence").get_data(as_text=True)
        assert "QUORATE" in page and ">2<" in page
        assert "Ann Smith" in page and "Yan Lee" in page and "Ben Jones" not in page
        assert "1,400" in page  # card votes present
        assert "Close the day" not in page  # the committee's tool only

    def test_the_people_inside_come_fifty_to_a_page(self, client, login, door):
        leeds = door.people["Ann"].group
        for number in range(52):
            person = factories.approved_person(door.conference, leeds, f"Zed {number:02d}")
            scan(client, door.token, live_credential(person).code)
        login(door.steward)
        url = f"/conferences/{door.conference.id}/presence"
        first = client.get(url).get_data(as_text=True)
        assert "Page 1 of 2 · 52 inside" in first
        assert first.count(">Zed ") == 50 and ">Zed 49<" in first and ">Zed 50<" not in first
        second = client.get(url + "?page=2").get_data(as_text=True)
        assert second.count(">Zed ") == 2 and ">Zed 51<" in second
        # A search keeps its words from page to page.
        found = client.get(url + "?q=Zed+5").get_data(as_text=True)
        assert found.count(">Zed ") == 2 and ">Zed 50<" in found and "Page 1 of" not in found

    def test_a_persons_history_lists_entries_and_exits(self, client, login, door):
        scan(client, door.token, door.code("Ann"))
        scan(client, door.token, door.code("Ann"), "out")
        scan(client, door.token, door.code("Ann"), "out")
        login(door.steward)
        url = f"/conferences/{door.conference.id}/presence/people/{door.people['Ann'].id}"
        page = client.get(url).get_data(as_text=True)
        assert page.count("scan-row") == 3
        assert "NOT INSIDE since" in page and "ADMITTED" in page and "LEFT" in page


class TestCommitteeTools:
    """Undo, close the day, attendance, doors and scanner tokens."""

    def admin(self, door):
        return factories.user(conf=door.conference, role=Role.ADMIN)

    def test_undoing_a_mistaken_exit_puts_the_person_back_inside(self, client, login, door):
        scan(client, door.token, door.code("Ann"))
        left = scan(client, door.token, door.code("Ann"), "out")
        login(self.admin(door))
        response = client.post(
            f"/admin/conferences/{door.conference.id}/scans/{left['scan_id']}/undo"
        )
        assert response.status_code == 302
        db.session.expire_all()
        assert db.session.get(Presence, door.people["Ann"].id).is_inside is True
        assert db.session.get(Scan, left["scan_id"]).undone_at is not None
        entry = db.session.execute(
            sa.select(AuditEntry).where(AuditEntry.action == "scan.undo")
        ).scalar_one()
        assert entry.summary.endswith("now inside")
        again = client.post(f"/admin/conferences/{door.conference.id}/scans/{left['scan_id']}/undo")
        assert again.status_code == 302
        assert "already undone" in client.get(again.headers["Location"]).get_data(as_text=True)

    def test_undoing_the_only_entry_leaves_the_person_outside(self, client, login, door):
        entered = scan(client, door.token, door.code("Ben"))
        login(self.admin(door))
        client.post(f"/admin/conferences/{door.conference.id}/scans/{entered['scan_id']}/undo")
        db.session.expire_all()
        assert db.session.get(Presence, door.people["Ben"].id).is_inside is False

    def test_closing_the_day_checks_everyone_out_on_record(self, client, login, door):
        for name in ("Ann", "Ben", "Vic"):
            scan(client, door.token, door.code(name))
        login(self.admin(door))
        url = f"/admin/conferences/{door.conference.id}/presence/close"
        question = client.post(url)
        db.session.expire_all()
        assert db.session.get(Presence, door.people["Ann"].id).is_inside  # not confirmed: nothing
        asked = question.get_data(as_text=True)
        assert question.status_code == 200
        assert "Close the day: check out all 3 inside?" in asked and "Yes, close the day" in asked
        closed = client.post(url, data={"confirmed": "yes"})
        db.session.expire_all()
        inside = db.session.execute(sa.select(Presence).where(Presence.is_inside)).all()
        assert inside == [] and closed.status_code == 302
        exits = (
            db.session.execute(
                sa.select(Scan).where(Scan.direction == "out", Scan.manual_reason == "day closed")
            )
            .scalars()
            .all()
        )
        assert len(exits) == 3
        entry = db.session.execute(
            sa.select(AuditEntry).where(AuditEntry.action == "presence.close_day")
        ).scalar_one()
        assert entry.summary == "Day closed: 3 checked out"
        # The next morning the same badges are admitted again.
        assert scan(client, door.token, door.code("Ann"))["word"] == "ADMITTED"

    def test_attendance_csv_has_a_line_per_person_who_came(self, client, login, door):
        scan(client, door.token, door.code("Ann"))
        scan(client, door.token, door.code("Ann"), "out")
        scan(client, door.token, door.code("Ann"))
        scan(client, door.token, door.code("Yan"))
        login(self.admin(door))
        response = client.get(f"/admin/conferences/{door.conference.id}/attendance.csv")
        rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
        assert [(r["name"], r["group"], r["inside_now"], r["entries"]) for r in rows] == [
            ("Ann Smith", "Leeds", "yes", "2"),
            ("Yan Lee", "York", "yes", "1"),
        ]
        assert rows[0]["first_in"].endswith("Z") and rows[0]["last_out"].endswith("Z")
        assert rows[1]["last_out"] == "" and rows[0]["door"] == "Main entrance"

    def test_a_token_made_on_the_doors_page_is_shown_once_and_stored_hashed(
        self, client, login, door
    ):
        login(self.admin(door))
        main = services.find_door(door.conference, "Main entrance")
        page = client.post(
            f"/admin/conferences/{door.conference.id}/doors/tokens",
            data={"door": main.id, "label": "Handheld 9"},
        ).get_data(as_text=True)
        token = page.split('<code class="token">')[1].split("<")[0]
        stored = db.session.execute(
            sa.select(DeviceToken).where(DeviceToken.label == "Handheld 9")
        ).scalar_one()
        assert stored.token_hash == token_hash(token) and token not in json.dumps(
            [e.after for e in db.session.execute(sa.select(AuditEntry)).scalars()]
        )
        assert scan(client, token, door.code("Ann"))["word"] == "ADMITTED"
        listing = client.get(f"/admin/conferences/{door.conference.id}/doors").get_data(
            as_text=True
        )
        assert "Handheld 9" in listing and token not in listing
        revoke = f"/admin/conferences/{door.conference.id}/doors/tokens/{stored.id}/revoke"
        question = client.post(revoke)
        assert "Revoke the scanner token for Handheld 9 at Main entrance?" in question.get_data(
            as_text=True
        )
        db.session.expire_all()
        assert db.session.get(DeviceToken, stored.id).revoked_at is None  # not confirmed: in use
        assert scan(client, token, door.code("Yan"))["word"] == "ADMITTED"
        client.post(revoke, data={"confirmed": "yes"})
        response = client.post(
            "/api/v1/scans",
            json={"code": door.code("Ben"), "direction": "in", "nonce": "z"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 401

    def test_the_scans_list_says_who_scanned_in_words(self, client, login, door):
        scan(client, door.token, door.code("Ann"))  # the Main entrance's "Handheld 1"
        login(door.steward)
        _steward_scan(client, door.conference.id, door.code("Ben"), device="phone-1")
        # The demo conference's scans are made with no login (confapp/demo.py).
        demo = Scanner(conference_id=door.conference.id, actor="demo", browser="demo")
        record_scan(
            demo,
            ScanInput(direction="in", nonce="demo-1", code=door.code("Yan"), door="Side door"),
        )
        client.post("/logout")
        login(self.admin(door))
        page = client.get(f"/admin/conferences/{door.conference.id}/scans").get_data(as_text=True)
        by = re.findall(r"<td data-label=\"By\">([^<]*)</td>", page)
        assert by == ["demo data", door.steward.email, "scanner “Handheld 1”"]
        assert "uNone" not in page and f"u{door.steward.id}:" not in page

    def test_the_scans_list_comes_a_page_at_a_time(self, client, login, door):
        for number in range(53):
            scan(client, door.token, f"AAAAAAAAAAAA{number:04d}".translate(DIGITS_TO_LETTERS))
        login(self.admin(door))
        url = f"/admin/conferences/{door.conference.id}/scans"
        first = client.get(url).get_data(as_text=True)
        assert first.count("scan-row") == 50 and "Page 1 of 2 · 53 scans" in first
        assert f'href="/admin/conferences/{door.conference.id}/scans?page=2"' in first
        second = client.get(url + "?page=2").get_data(as_text=True)
        assert second.count("scan-row") == 3 and "← Newer" in second
        # The oldest scan is last on the last page.
        assert second.rindex("AAAAAAAAAAAAAAAA") > second.index("AAAAAAAAAAAAAAAB")

    def test_doors_are_added_once_by_name(self, client, login, door):
        login(self.admin(door))
        url = f"/admin/conferences/{door.conference.id}/doors"
        client.post(url, data={"name": "  North   gate "})
        again = client.post(url, data={"name": "North gate"}, follow_redirects=True)
        assert "already a door called" in again.get_data(as_text=True)
        assert [d.name for d in services.doors(door.conference)] == [
            "Main entrance",
            "North gate",
            "Side door",
        ]


class TestCreateDeviceTokenCommand:
    """flask --app confapp create-device-token CONFERENCE --door NAME."""

    def test_prints_a_token_that_scans(self, app, client, door):
        result = app.test_cli_runner().invoke(
            args=["create-device-token", door.conference.slug, "--door", "Side door"]
        )
        assert result.exit_code == 0, result.output
        token = result.stdout.strip()
        assert token.startswith("cfd_") and "Side door" in result.stderr
        answer = scan(client, token, door.code("Ann"))
        assert answer["word"] == "ADMITTED"
        assert db.session.get(Scan, answer["scan_id"]).door.name == "Side door"

    def test_an_unknown_door_is_named_with_the_doors_there_are(self, app, door):
        result = app.test_cli_runner().invoke(
            args=["create-device-token", str(door.conference.id), "--door", "Back"]
        )
        assert result.exit_code != 0
        assert "Main entrance, Side door" in result.output and "--create-door" in result.output

    def test_create_door_adds_it(self, app, door):
        result = app.test_cli_runner().invoke(
            args=["create-device-token", door.conference.slug, "--door", "Back", "--create-door"]
        )
        assert result.exit_code == 0 and "Door added: Back" in result.stderr
        assert services.find_door(door.conference, "Back") is not None


def test_the_openapi_file_is_valid_and_documents_every_api_route(app, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    validate(spec)
    documented = {
        (method.upper(), "/api/v1" + re.sub(r"\{(\w+)\}", r"<int:\1>", path))
        for path, operations in spec["paths"].items()
        for method in operations
    }
    routes = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert documented == routes
    reasons = spec["components"]["schemas"]["ScanAnswer"]["properties"]["reason"]["enum"]
    assert set(reasons) == {
        None,
        "already_inside",
        "not_inside",
        "revoked",
        "not_approved",
        "unknown",
        "other_conference",
    }
