"""The committee sets up an election: seats, rule, weighting, order, deadlines and quotas."""

from __future__ import annotations

import html
import re
from datetime import datetime

import pytest

from confapp import factories
from confapp.extensions import db
from confapp.models import AuditEntry, Election, ElectionCategory, Role


def words(page: str) -> str:
    """The page's text as read, without its tags."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def setup_form(**changes) -> dict:
    """A whole setup form: Scottish STV, 5 seats, two quota categories."""
    form = {
        "title": "National committee",
        "seats": "5",
        "rule": "scottish",
        "weighting": "one_each",
        "candidate_order": "alphabetical",
        "nominations_close": "2027-03-13T12:30",
        "polling_closes": "",
        "quotas-0-id": "0",
        "quotas-0-name": "Women",
        "quotas-0-minimum": "2",
        "quotas-0-maximum": "",
        "quotas-1-id": "0",
        "quotas-1-name": "Under 30",
        "quotas-1-minimum": "1",
        "quotas-1-maximum": "3",
    }
    return form | changes


@pytest.fixture
def chair(conference):
    return factories.user(conf=conference, role=Role.ADMIN)


def elections_url(conference) -> str:
    return f"/conferences/{conference.id}/elections"


def all_elections() -> list[Election]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(Election)))


class TestNewElection:
    def test_the_committee_sets_up_an_election_with_quotas(self, client, login, conference, chair):
        login(chair)

        response = client.post(elections_url(conference), data=setup_form())

        assert response.status_code == 302
        (election,) = all_elections()
        assert response.headers["Location"].endswith(f"/elections/{election.id}")
        assert (election.title, election.seats, election.rule, election.state) == (
            "National committee",
            5,
            "scottish",
            "nominations",
        )
        # 12:30 in London in March (GMT) is 12:30 UTC; the rules form does the same.
        assert election.nominations_close_at == datetime(2027, 3, 13, 12, 30)
        assert [(c.name, c.min_seats, c.max_seats) for c in election.categories] == [
            ("Under 30", 1, 3),
            ("Women", 2, None),
        ]
        entry = db.session.scalars(
            db.select(AuditEntry).where(AuditEntry.action == "election.create")
        ).one()
        assert entry.user_id == chair.id
        assert {"name": "Women", "min": 2, "max": None} in entry.after["categories"]
        page = words(client.get(response.headers["Location"]).get_data(as_text=True))
        assert "National committee is set up and taking nominations." in page
        assert "At least 2 of those elected will be Women." in page
        assert "At least 1 and at most 3 of those elected will be Under 30." in page
        assert "13 Mar 2027, 12:30 GMT" in page

    def test_the_time_is_read_in_the_conferences_time_zone(self, client, login, conference, chair):
        conference.timezone = "Europe/Berlin"
        db.session.commit()
        login(chair)

        client.post(elections_url(conference), data=setup_form())

        assert all_elections()[0].nominations_close_at == datetime(2027, 3, 13, 11, 30)

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"title": "  "}, "This field is required."),
            ({"seats": "0"}, "Number must be between 1 and 500."),
            (
                {"quotas-1-minimum": "4", "quotas-1-maximum": "3"},
                "Under 30: at least 4 is more than at most 3.",
            ),
            (
                {"quotas-0-minimum": "6"},
                "Women: at least 6 cannot be met when only 5 seats are filled.",
            ),
            ({"quotas-1-name": "women"}, "The quota category women is listed twice."),
            (
                {"polling_closes": "2027-03-13T12:00"},
                "Polling must close after nominations close.",
            ),
            ({"rule": "borda"}, "Not a valid choice."),
        ],
    )
    def test_bad_setup_says_why_and_saves_nothing(
        self, client, login, conference, chair, changes, message
    ):
        login(chair)

        response = client.post(elections_url(conference), data=setup_form(**changes))

        assert response.status_code == 422
        assert message in words(response.get_data(as_text=True))
        assert all_elections() == []
        assert db.session.scalar(db.select(db.func.count()).select_from(ElectionCategory)) == 0

    def test_a_teller_reads_the_list_but_sets_up_nothing(self, client, login, conference):
        teller = factories.user(conf=conference, role=Role.TELLER)
        factories.election(conference, title="Standing orders committee")
        login(teller)

        page = client.get(elections_url(conference)).get_data(as_text=True)
        refused = client.post(elections_url(conference), data=setup_form())

        assert "Standing orders committee" in page
        assert "New election" not in page
        # The Floor group of the menu holds Elections, marked as the page the teller is on.
        assert re.search(r'<a href="[^"]*/elections" aria-current="page">Elections</a>', page)
        assert refused.status_code == 403
        assert len(all_elections()) == 1


class TestEditing:
    def test_the_committee_changes_the_setup_and_removes_a_category(
        self, client, login, conference, chair
    ):
        election = factories.election(
            conference, categories={"Women": (1, None, ["Asha"]), "Young": (0, 1, ["Bryn"])}
        )
        women, young = sorted(election.categories, key=lambda c: c.name)
        login(chair)
        form = setup_form(
            title="National executive",
            seats="3",
            rule="meek",
            weighting="split",
            candidate_order="drawn",
            **{
                "quotas-0-id": str(women.id),
                "quotas-0-name": "Women",
                "quotas-0-minimum": "1",
                "quotas-1-id": str(young.id),
                "quotas-1-name": "",  # cleared: removed
                "quotas-2-id": "0",
                "quotas-2-name": "North",
                "quotas-2-minimum": "0",
                "quotas-2-maximum": "2",
            },
        )

        response = client.post(f"{elections_url(conference)}/{election.id}", data=form)

        assert response.status_code == 302
        (election,) = all_elections()
        assert (election.title, election.seats, election.rule, election.weighting) == (
            "National executive",
            3,
            "meek",
            "split",
        )
        assert election.candidate_order == "drawn"
        assert [(c.name, c.min_seats, c.max_seats) for c in election.categories] == [
            ("North", 0, 2),
            ("Women", 1, None),
        ]
        # Asha is still a woman: the category kept its id and its members.
        asha = next(c for c in election.candidates if c.name == "Asha")
        assert [c.name for c in asha.categories] == ["Women"]
        entry = db.session.scalars(
            db.select(AuditEntry).where(AuditEntry.action == "election.update")
        ).one()
        assert entry.before["title"] == "National committee"
        assert entry.after["title"] == "National executive"

    def test_the_page_says_when_the_candidates_cannot_meet_the_quotas(
        self, client, login, conference, chair
    ):
        election = factories.election(conference, categories={"Women": (2, None, ["Asha"])})
        login(chair)

        page = words(
            client.get(f"{elections_url(conference)}/{election.id}").get_data(as_text=True)
        )

        assert (
            "Polling cannot open yet. The quotas cannot be met: 'Women' needs at least 2 "
            "elected but only 1 of its candidates stand." in page
        )
        assert "Open polling" not in page

    def test_saving_quotas_the_candidates_cannot_meet_warns(self, client, login, conference, chair):
        election = factories.election(conference, categories={})
        login(chair)
        form = setup_form(seats="2", **{"quotas-1-name": ""})

        response = client.post(f"{elections_url(conference)}/{election.id}", data=form)

        page = words(client.get(response.headers["Location"]).get_data(as_text=True))
        assert "Setup saved." in page
        assert "'Women' needs at least 2 elected but only 0 of its candidates stand" in page

    def test_the_setup_cannot_change_once_polling_has_opened(
        self, client, login, conference, chair
    ):
        election = factories.election(conference, papers=[1, 1, 1])
        login(chair)

        response = client.post(
            f"{elections_url(conference)}/{election.id}", data=setup_form(title="Changed")
        )

        assert response.status_code == 422
        assert "Polling has opened: the election's setup can no longer change." in words(
            response.get_data(as_text=True)
        )
        assert all_elections()[0].title == "National committee"

    def test_a_bad_change_keeps_the_old_setup(self, client, login, conference, chair):
        election = factories.election(conference)
        login(chair)

        response = client.post(
            f"{elections_url(conference)}/{election.id}",
            data=setup_form(**{"quotas-0-minimum": "3", "quotas-0-maximum": "1"}),
        )

        assert response.status_code == 422
        assert "Women: at least 3 is more than at most 1." in words(response.get_data(as_text=True))
        (election,) = all_elections()
        assert (election.seats, election.categories) == (2, [])
