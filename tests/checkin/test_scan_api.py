"""POST /api/v1/scans: every answer a door can give, and every bad request refused cleanly."""

from __future__ import annotations

import itertools
import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from confapp.credentials import services as credentials
from confapp.extensions import db
from confapp.models import AuditEntry, Presence, Scan, Status, utcnow
from tests import factories

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


def test_an_offline_admission_takes_the_time_it_happened(client, door):
    earlier = utcnow() - timedelta(minutes=10)
    answer = scan(
        client, door.token, door.code("Yan"), offline=True, scanned_at=earlier.isoformat() + "Z"
    )
    assert answer["word"] == "ADMITTED" and answer["flagged"] is False
    since = db.session.get(Presence, door.people["Yan"].id).since
    assert abs((since - earlier).total_seconds()) < 1


def test_a_device_clock_in_the_future_is_not_believed(client, door):
    ahead = (utcnow() + timedelta(hours=5)).isoformat() + "Z"
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
    for token in (door.token, "cfd_made-up"):
        response = client.post(
            "/api/v1/scans",
            json={"direction": "in", "nonce": "a", "code": door.code("Ann")},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 401
        assert "not valid" in response.get_json()["error"]
    assert scans_stored() == 0
