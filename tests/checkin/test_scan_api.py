"""POST /api/v1/scans: every answer a door can give, and every bad request refused cleanly."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from confapp import factories
from confapp.checkin.scans import printable
from confapp.credentials import services as credentials
from confapp.extensions import db
from confapp.models import AuditEntry, Presence, Scan, Status, utcnow

_nonces = itertools.count(1)


def scan(client, token, code=None, direction="in", *, nonce=None, status=200, **fields):
    """Send one scan as a scanner with a device token; return the JSON answer."""
    body = {"direction": direction, "nonce": nonce or f"n{next(_nonces)}", **fields}
    if code is not None:
        body["code"] = code
    response = client.post("/api/v1/scans", json=body, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def scans_stored() -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(Scan)).scalar_one()


def test_admitted_then_already_inside_with_since_and_door(client, door):
    first = scan(client, door.token, door.code("Ann"))
    assert first["status"] == "ok" and first["reason"] is None
    assert first["word"] == "ADMITTED"
    assert first["person"] == {
        "id": door.people["Ann"].id,
        "name": "Ann Smith",
        "group": "Leeds",
        "pass_type": "delegate",
    }
    again = scan(client, door.side_token, door.code("Ann"))
    assert (again["status"], again["reason"], again["word"]) == (
        "refused",
        "already_inside",
        "ALREADY INSIDE",
    )
    assert again["door"] == "Main entrance"  # where she came in, not where she was scanned again
    assert again["since"].endswith("Z")
    presence = db.session.get(Presence, door.people["Ann"].id)
    assert presence.is_inside and presence.door.name == "Main entrance"


def test_out_says_left_and_out_again_says_not_inside(client, door):
    scan(client, door.token, door.code("Ben"))
    left = scan(client, door.token, door.code("Ben"), "out")
    assert (left["status"], left["result"], left["word"]) == ("ok", "left", "LEFT")
    again = scan(client, door.token, door.code("Ben"), "out")
    assert (again["status"], again["reason"]) == ("refused", "not_inside")
    back = scan(client, door.token, door.code("Ben"))
    assert back["word"] == "ADMITTED"


def test_a_reissued_badge_says_revoked_not_unknown(client, door):
    old = door.code("Ann")
    credentials.issue(door.people["Ann"], None, reason="badge lost")
    db.session.commit()
    answer = scan(client, door.token, old)
    assert (answer["status"], answer["reason"], answer["word"]) == ("refused", "revoked", "REVOKED")
    assert answer["person"]["name"] == "Ann Smith"  # the steward sees whose old badge it is
    assert not db.session.get(Presence, door.people["Ann"].id)


def test_a_badge_whose_approval_was_withdrawn_is_not_approved(client, door):
    door.people["Ben"].status = Status.SUBMITTED.value
    db.session.commit()
    answer = scan(client, door.token, door.code("Ben"))
    assert (answer["reason"], answer["word"]) == ("not_approved", "NOT APPROVED")


def test_a_well_formed_code_nobody_holds_is_unknown(client, door):
    answer = scan(client, door.token, "AAAAAAAAAAAAAAAA")
    assert (answer["status"], answer["reason"], answer["person"]) == ("refused", "unknown", None)


def test_a_badge_of_another_conference_names_nobody(client, door):
    other = factories.conference()
    stranger = factories.approved_person(other, factories.group(other, "Hull"), "Sam Stranger")
    answer = scan(client, door.token, credentials.live_credential(stranger).code)
    assert (answer["reason"], answer["word"], answer["person"]) == (
        "other_conference",
        "OTHER CONFERENCE",
        None,
    )


def test_a_code_scanned_with_spaces_and_lower_case_is_read(client, door):
    code = door.code("Yan").lower()
    spaced = " ".join(code[i : i + 4] for i in range(0, 16, 4))
    assert scan(client, door.token, spaced)["word"] == "ADMITTED"


def test_a_malformed_code_is_a_422_and_stored_as_refused(client, door):
    answer = scan(client, door.token, "https://example.org/poster", status=422)
    assert "not a confapp badge code" in answer["error"]
    assert (answer["status"], answer["reason"]) == ("refused", "unknown")
    stored = db.session.execute(sa.select(Scan)).scalar_one()
    assert (stored.status, stored.reason, stored.code) == (
        "refused",
        "unknown",
        "https://example.org/poster",
    )


def test_a_retried_scan_is_counted_once_and_answered_the_same(client, door):
    first = scan(client, door.token, door.code("Ann"), nonce="retry-1")
    again = scan(client, door.token, door.code("Ann"), nonce="retry-1")
    assert again["replayed"] is True and first["replayed"] is False
    assert (again["status"], again["word"], again["scan_id"]) == (
        "ok",
        "ADMITTED",
        first["scan_id"],
    )
    assert scans_stored() == 1
    # The same nonce from another device is another scan.
    other = scan(client, door.side_token, door.code("Ann"), nonce="retry-1")
    assert other["reason"] == "already_inside" and scans_stored() == 2


def test_every_scan_refused_ones_too_is_stored_and_on_the_audit_log(client, door):
    scan(client, door.token, door.code("Ann"))
    scan(client, door.token, door.code("Ann"))
    scan(client, door.token, "AAAAAAAAAAAAAAAA")
    rows = db.session.execute(sa.select(Scan).order_by(Scan.id)).scalars().all()
    assert [(r.status, r.reason) for r in rows] == [
        ("ok", None),
        ("refused", "already_inside"),
        ("refused", "unknown"),
    ]
    assert all(r.door.name == "Main entrance" and r.device_token_id for r in rows)
    log = (
        db.session.execute(
            sa.select(AuditEntry).where(AuditEntry.entity_type == "scan").order_by(AuditEntry.id)
        )
        .scalars()
        .all()
    )
    assert [(e.action, e.entity_id) for e in log] == [
        ("scan.admitted", rows[0].id),
        ("scan.refused", rows[1].id),
        ("scan.refused", rows[2].id),
    ]
    assert log[0].summary == "Ann Smith (Leeds) admitted at Main entrance"
    assert log[0].actor == "device token" and log[0].conference_id == door.conference.id
    assert log[1].after["reason"] == "already_inside"


def test_a_late_offline_scan_the_server_would_refuse_is_flagged(client, door):
    scan(client, door.side_token, door.code("Ann"))  # online at the side door
    earlier = (utcnow() - timedelta(minutes=3)).isoformat() + "Z"
    late = scan(
        client, door.token, door.code("Ann"), offline=True, scanned_at=earlier
    )  # the main door let her in too, while its Wi-Fi was down
    assert (late["reason"], late["flagged"]) == ("already_inside", True)
    stored = db.session.get(Scan, late["scan_id"])
    assert stored.is_offline and stored.is_flagged


def test_an_offline_scan_the_device_refused_too_is_not_flagged(client, door):
    scan(client, door.side_token, door.code("Ann"))  # online at the side door
    earlier = (utcnow() - timedelta(minutes=3)).isoformat() + "Z"
    # Offline, the main door's roster knew she was inside: its steward saw ALREADY INSIDE.
    passed_back = scan(
        client,
        door.token,
        door.code("Ann"),
        offline=True,
        offline_answer="refused",
        scanned_at=earlier,
    )
    # ... and a made-up code: UNKNOWN on the phone as on the server.
    made_up = scan(client, door.token, "ABCDEFGHIJKLMNOP", offline=True, offline_answer="refused")
    # The roster said ADMITTED (it was out of date): the steward let her through.
    let_in = scan(client, door.token, door.code("Ann"), offline=True, offline_answer="ok")
    answers = [(a["reason"], a["flagged"]) for a in (passed_back, made_up, let_in)]
    assert answers == [("already_inside", False), ("unknown", False), ("already_inside", True)]
    stored = [db.session.get(Scan, a["scan_id"]) for a in (passed_back, made_up, let_in)]
    assert [(s.is_offline, s.is_flagged) for s in stored] == [
        (True, False),
        (True, False),
        (True, True),
    ]


def test_an_offline_admission_takes_the_time_it_happened(client, door):
    earlier = utcnow() - timedelta(minutes=10)
    answer = scan(
        client, door.token, door.code("Yan"), offline=True, scanned_at=earlier.isoformat() + "Z"
    )
    assert answer["word"] == "ADMITTED" and answer["flagged"] is False
    since = db.session.get(Presence, door.people["Yan"].id).since
    assert abs((since - earlier).total_seconds()) < 1


def test_a_device_clock_a_little_ahead_is_taken_as_now(client, door):
    ahead = (utcnow() + timedelta(minutes=2)).isoformat() + "Z"
    scan(client, door.token, door.code("Yan"), scanned_at=ahead)
    stored = db.session.execute(sa.select(Scan)).scalar_one()
    assert stored.scanned_at <= utcnow()


def test_admitting_by_name_needs_a_reason_and_logs_it(client, door):
    ann = door.people["Ann"].id
    refused = scan(client, door.token, delegate_id=ann, status=400)
    assert refused["field"] == "reason" and scans_stored() == 0
    answer = scan(client, door.token, delegate_id=ann, reason="Badge left at the hotel")
    assert answer["word"] == "ADMITTED"
    stored = db.session.get(Scan, answer["scan_id"])
    assert stored.manual_reason == "Badge left at the hotel" and stored.code == ""
    entry = db.session.execute(
        sa.select(AuditEntry).where(
            AuditEntry.entity_type == "scan", AuditEntry.entity_id == stored.id
        )
    ).scalar_one()
    assert "by name: Badge left at the hotel" in entry.summary


def test_a_door_token_scans_at_its_own_door_when_none_is_named(client, door):
    scan(client, door.side_token, door.code("Ann"))
    assert db.session.execute(sa.select(Scan)).scalar_one().door.name == "Side door"
    named = scan(client, door.side_token, door.code("Ben"), door="Main entrance")
    assert db.session.get(Scan, named["scan_id"]).door.name == "Main entrance"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"nonce": "a", "code": "AAAAAAAAAAAAAAAA"}, "direction"),
        ({"direction": "sideways", "nonce": "a", "code": "AAAAAAAAAAAAAAAA"}, "direction"),
        ({"direction": "in", "code": "AAAAAAAAAAAAAAAA"}, "nonce"),
        ({"direction": "in", "nonce": "", "code": "AAAAAAAAAAAAAAAA"}, "nonce"),
        ({"direction": "in", "nonce": "x" * 65, "code": "AAAAAAAAAAAAAAAA"}, "nonce"),
        ({"direction": "in", "nonce": "a b", "code": "AAAAAAAAAAAAAAAA"}, "nonce"),
        ({"direction": "in", "nonce": 7, "code": "AAAAAAAAAAAAAAAA"}, "nonce"),
        ({"direction": "in", "nonce": "a"}, "code"),
        ({"direction": "in", "nonce": "a", "code": 12345}, "code"),
        ({"direction": "in", "nonce": "a", "code": ""}, "code"),
        ({"direction": "in", "nonce": "a", "code": "A" * 201}, "code"),
        ({"direction": "in", "nonce": "a", "code": "A", "delegate_id": 1}, "code"),
        ({"direction": "in", "nonce": "a", "delegate_id": "1", "reason": "x"}, "delegate_id"),
        ({"direction": "in", "nonce": "a", "delegate_id": True, "reason": "x"}, "delegate_id"),
        ({"direction": "in", "nonce": "a", "code": "A", "offline": "yes"}, "offline"),
        (
            {"direction": "in", "nonce": "a", "code": "A", "offline_answer": "maybe"},
            "offline_answer",
        ),
        ({"direction": "in", "nonce": "a", "code": "A", "offline_answer": True}, "offline_answer"),
        ({"direction": "in", "nonce": "a", "code": "A", "door": 3}, "door"),
        ({"direction": "in", "nonce": "a", "code": "A", "scanned_at": "yesterday"}, "scanned_at"),
        (
            {"direction": "in", "nonce": "a", "code": "A", "scanned_at": "2027-03-13T09:00"},
            "scanned_at",
        ),
        ({"direction": "in", "nonce": "a", "code": "A", "scanned_at": 1700000000}, "scanned_at"),
        ({"direction": "in", "nonce": "a", "code": "A", "reason": "why"}, "reason"),
        ({"direction": "in", "nonce": "a", "code": "A", "colour": "red"}, "colour"),
        ({"direction": "in", "nonce": "a", "code": "A", "device": "my phone!"}, "device"),
        ({"direction": "in", "nonce": "a\n", "code": "A"}, "nonce"),
        ({"direction": "in", "nonce": "a", "code": "A", "device": "phone\n"}, "device"),
        ({"direction": "in", "nonce": "a", "code": "A", "conference": 2**31}, "conference"),
        ({"direction": "in", "nonce": "a", "delegate_id": 2**31, "reason": "x"}, "delegate_id"),
        ({"direction": "in", "nonce": "a", "delegate_id": 10**30, "reason": "x"}, "delegate_id"),
        # Near year 1 or 9999 an offset takes the time out of the calendar; a clock reset to
        # 1970 is no time of a conference either.
        *(
            ({"direction": "in", "nonce": "a", "code": "A", "scanned_at": when}, "scanned_at")
            for when in (
                "0001-01-01T00:00:00+01:00",
                "0001-01-01T00:00:00Z",
                "9999-12-31T23:59:59-01:00",
                "9999-12-31T23:59:59.999999Z",
                "1970-01-01T00:00:00Z",
                "2027-02-30T09:00:00Z",
                "2027-03-13T09:00:00Z\n",
                "\u0662\u0660\u0662\u0667-03-13T09:00:00Z",  # Arabic-Indic digits
            )
        ),
    ],
)
def test_a_bad_field_is_a_400_naming_it_and_stores_nothing(client, door, body, field):
    response = client.post(
        "/api/v1/scans", json=body, headers={"Authorization": f"Bearer {door.token}"}
    )
    assert response.status_code == 400
    answer = response.get_json()
    assert answer["field"] == field and f"'{field}'" in answer["error"]
    assert scans_stored() == 0


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [
        ("not json", "application/json", 400),
        ("[1, 2]", "application/json", 400),
        ('"code"', "application/json", 400),
        ('{"direction": "in"}', "text/plain", 400),
        (
            json.dumps({"direction": "in", "nonce": "a", "code": "A" * 5000}),
            "application/json",
            413,
        ),
        ("[" * 2000 + "]" * 2000, "application/json", 400),  # deeper than the parser goes
    ],
)
def test_a_body_that_is_not_a_scan_is_refused_in_json(client, door, data, content_type, status):
    response = client.post(
        "/api/v1/scans",
        data=data,
        content_type=content_type,
        headers={"Authorization": f"Bearer {door.token}"},
    )
    assert response.status_code == status
    assert response.is_json and response.get_json()["error"]
    assert scans_stored() == 0


def test_an_unknown_door_is_named_with_the_doors_there_are(client, door):
    answer = scan(client, door.token, door.code("Ann"), door="Back door", status=422)
    assert answer["error"] == (
        "There is no door called 'Back door' in this conference. "
        "Its doors: Main entrance, Side door."
    )
    assert scans_stored() == 0


def test_another_conferences_door_is_not_a_door_of_this_token(client, door):
    from confapp.checkin import services

    other = factories.conference()
    services.add_door(other, "Hall B")
    answer = scan(client, door.token, door.code("Ann"), door="Hall B", status=422)
    assert "no door called 'Hall B'" in answer["error"] and scans_stored() == 0


def test_without_a_token_or_login_the_api_answers_401(client, door):
    response = client.post(
        "/api/v1/scans", json={"direction": "in", "nonce": "a", "code": door.code("Ann")}
    )
    assert response.status_code == 401 and "Bearer" in response.get_json()["error"]
    assert scans_stored() == 0


def test_a_revoked_or_made_up_token_answers_401(client, door):
    from confapp.checkin import services
    from confapp.models import DeviceToken

    device = db.session.execute(sa.select(DeviceToken).order_by(DeviceToken.id)).scalars().first()
    services.revoke_device_token(device)
    db.session.commit()  # as the committee's request does
    for token in (door.token, "cfd_made-up"):
        response = client.post(
            "/api/v1/scans",
            json={"direction": "in", "nonce": "a", "code": door.code("Ann")},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 401
        assert "not valid" in response.get_json()["error"]
    assert scans_stored() == 0


# ---- hostile and broken input: a clear 4xx, never a 500, on SQLite and PostgreSQL ------------


@pytest.mark.parametrize(
    ("code", "stored"),
    [
        ("ABCD\u0000EFGH", "ABCD\\x00EFGH"),
        ("ABCDEFGH\u0000IJKLMNOP", "ABCDEFGH\\x00IJKLMNOP"),
        ("\ud800ABCDEFGHIJKLMNOP", "\\ud800ABCDEFGHIJKLMNOP"),
        ("ABCD\u2028EFGH IJKL MNOP", "ABCD\\u2028EFGH IJKL MNOP"),  # not a space a badge allows
        ("C:\\badge\x1b[31m", "C:\\\\badge\\x1b[31m"),
        ("A" * 38 + "\u0000" + "B" * 100, "A" * 38),  # cut to the column, no escape cut in half
    ],
)
def test_a_code_outside_the_badge_alphabet_is_a_422_on_record_in_printable_form(
    client, door, code, stored
):
    answer = scan(client, door.token, code, nonce="crafted", status=422)
    assert "not a confapp badge code" in answer["error"]
    assert (answer["status"], answer["reason"], answer["person"]) == ("refused", "unknown", None)
    row = db.session.execute(sa.select(Scan)).scalar_one()
    assert (row.status, row.reason, row.code, row.delegate_id) == (
        "refused",
        "unknown",
        stored,
        None,
    )
    entry = db.session.execute(
        sa.select(AuditEntry).where(
            AuditEntry.entity_type == "scan", AuditEntry.entity_id == row.id
        )
    ).scalar_one()
    assert entry.action == "scan.refused" and entry.after["code"] == stored
    assert entry.summary == f"code {stored} refused at Main entrance: unknown"
    # Retried, it is the same scan: answered the same, stored once.
    again = scan(client, door.token, code, nonce="crafted", status=422)
    assert again["replayed"] and again["scan_id"] == answer["scan_id"] and scans_stored() == 1
    # The next badge at that door goes through.
    assert scan(client, door.token, door.code("Ann"))["word"] == "ADMITTED"


@pytest.mark.parametrize("bad", ["\u0000", "\ud800", "\x1b"])
@pytest.mark.parametrize("field", ["door", "reason", "nonce", "device"])
def test_a_nul_byte_or_broken_character_in_a_text_field_is_a_400_naming_it(
    client, door, field, bad
):
    body = {"direction": "in", "nonce": "n-1", "code": door.code("Ann")}
    if field == "reason":
        body = {"direction": "in", "nonce": "n-1", "delegate_id": door.people["Ann"].id}
    body[field] = {"door": "Main entrance", "reason": "badge lost", "nonce": "n-1"}.get(
        field, "phone-1"
    ) + bad
    response = client.post(
        "/api/v1/scans", json=body, headers={"Authorization": f"Bearer {door.token}"}
    )
    assert response.status_code == 400, response.get_data(as_text=True)
    answer = response.get_json()
    assert answer["field"] == field and f"'{field}'" in answer["error"]
    assert scans_stored() == 0 and db.session.get(Presence, door.people["Ann"].id) is None


def test_a_nul_byte_in_a_field_name_is_a_400(client, door):
    response = client.post(
        "/api/v1/scans",
        json={"direction": "in", "nonce": "n-1", "code": door.code("Ann"), "co\u0000de": "x"},
        headers={"Authorization": f"Bearer {door.token}"},
    )
    answer = response.get_json()
    assert response.status_code == 400 and answer["field"] == "co\\x00de"
    assert answer["error"].startswith("Unknown field 'co\\x00de'.") and scans_stored() == 0


def _conference_under_way(door, days_in: int = 3) -> None:
    """The conference started `days_in` days ago (in London) and runs another week."""
    conference = door.conference
    conference.starts_on = (utcnow() - timedelta(days=days_in)).date()
    conference.ends_on = conference.starts_on + timedelta(days=10)
    db.session.commit()


@pytest.mark.parametrize(
    ("when", "problem"),
    [
        (timedelta(hours=1), "in the future"),
        (timedelta(days=-400), "before this conference"),
        (timedelta(days=-6), "before this conference"),  # three days before its first day
    ],
)
def test_a_scan_dated_outside_the_conference_is_refused_not_applied(client, door, when, problem):
    _conference_under_way(door)
    at = (utcnow() + when).isoformat() + "Z"
    answer = scan(client, door.token, door.code("Ann"), offline=True, scanned_at=at, status=422)
    assert answer["field"] == "scanned_at" and problem in answer["error"]
    assert "set the scanner's clock" in answer["error"]
    assert scans_stored() == 0 and db.session.get(Presence, door.people["Ann"].id) is None


def test_an_offline_scan_from_the_day_before_the_conference_keeps_its_time(client, door):
    _conference_under_way(door, days_in=2)
    # 01:00 at the venue on the day before the first day: set-up, badges handed out early.
    day_before = door.conference.starts_on - timedelta(days=1)
    local = datetime.combine(day_before, time(1, 0), tzinfo=ZoneInfo("Europe/London"))
    at = local.astimezone(UTC).replace(tzinfo=None)
    answer = scan(
        client, door.token, door.code("Ann"), offline=True, scanned_at=at.isoformat() + "Z"
    )
    assert answer["word"] == "ADMITTED"
    assert db.session.get(Scan, answer["scan_id"]).scanned_at == at
    too_early = (at - timedelta(hours=2)).isoformat() + "Z"
    refused = scan(
        client, door.token, door.code("Ben"), offline=True, scanned_at=too_early, status=422
    )
    assert refused["field"] == "scanned_at" and scans_stored() == 1


# ---- one nonce, one scan ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"code": "Ben"},
        {"direction": "out"},
        {"door": "Side door"},
        {"code": None, "delegate_id": "Ben", "reason": "badge lost"},
    ],
)
def test_a_nonce_sent_again_with_another_scan_is_a_409_and_records_nothing(client, door, change):
    first = scan(client, door.token, door.code("Ann"), nonce="same-1")
    body = {"direction": "in", "nonce": "same-1", "code": door.code("Ann")} | change
    if change.get("code"):
        body["code"] = door.code(change["code"])
    if "delegate_id" in change:
        del body["code"]
        body["delegate_id"] = door.people[change["delegate_id"]].id
    response = client.post(
        "/api/v1/scans", json=body, headers={"Authorization": f"Bearer {door.token}"}
    )
    assert response.status_code == 409, response.get_data(as_text=True)
    answer = response.get_json()
    assert answer["field"] == "nonce" and answer["scan_id"] == first["scan_id"]
    assert "nonce 'same-1'" in answer["error"] and "Nothing was recorded" in answer["error"]
    assert "Ben" not in response.get_data(as_text=True)  # nobody else's name is given out
    assert scans_stored() == 1
    assert db.session.get(Presence, door.people["Ben"].id) is None
    stored = db.session.execute(sa.select(Scan)).scalar_one()
    assert (stored.delegate_id, stored.direction, stored.door.name) == (
        door.people["Ann"].id,
        "in",
        "Main entrance",
    )


def test_a_retry_answers_the_first_scans_person_and_result(client, door):
    first = scan(client, door.token, delegate_id=door.people["Ann"].id, reason="lost", nonce="m1")
    again = scan(client, door.token, delegate_id=door.people["Ann"].id, reason="lost", nonce="m1")
    assert first["person"]["name"] == again["person"]["name"] == "Ann Smith"
    assert (again["word"], again["scan_id"], again["replayed"]) == (
        "ADMITTED",
        first["scan_id"],
        True,
    )
    assert again["door"] == first["door"] == "Main entrance"


def test_a_scan_whose_first_try_timed_out_is_the_same_scan_when_uploaded_offline(client, door):
    """The page marks a scan offline, with its time, when the first try got no answer."""
    first = scan(client, door.token, door.code("Ben"), nonce="slow-1")
    earlier = (utcnow() - timedelta(seconds=30)).isoformat() + "Z"
    again = scan(
        client,
        door.token,
        door.code("Ben").lower(),
        nonce="slow-1",
        offline=True,
        scanned_at=earlier,
    )
    assert (again["replayed"], again["scan_id"], again["word"]) == (
        True,
        first["scan_id"],
        "ADMITTED",
    )
    assert again["person"]["name"] == "Ben Jones" and scans_stored() == 1


def test_printable_escapes_what_cannot_be_stored_or_seen():
    assert printable("Łódź 2027") == "Łódź 2027"
    assert printable("a\u0000b\tc\\d\ud800\U0001f600") == "a\\x00b\\x09c\\\\d\\ud800\U0001f600"
    assert printable("\u0085" * 20) == "\\x85" * 10


@pytest.mark.parametrize(
    ("method", "url", "allowed"),
    [
        ("GET", "/api/v1/scans", {"POST", "OPTIONS"}),
        ("DELETE", "/api/v1/conferences/1/roster", {"GET", "HEAD", "OPTIONS"}),
        ("POST", "/api/v1/openapi.json", {"GET", "HEAD", "OPTIONS"}),
    ],
)
def test_a_method_the_api_does_not_take_is_a_405_saying_which_it_does(
    client, door, method, url, allowed
):
    response = client.open(url, method=method, headers={"Authorization": f"Bearer {door.token}"})
    assert response.status_code == 405 and response.is_json
    assert set(response.headers["Allow"].split(", ")) == allowed
