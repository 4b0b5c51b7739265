"""Time the committee's registration pages on a large conference; print times and queries.

650 groups in two sections and 4,000 registrations (delegates, alternates, non-voting passes)
in every status: the credentials report (page, CSV, PDF) and the committee's delegate list.

Run: .venv/bin/python -m bench.registration
     (BENCH_DATABASE_URL=postgresql+psycopg://... for PostgreSQL: its tables are dropped first)
"""

from __future__ import annotations

import random
from collections import Counter

from bench.common import bench_app, counting_queries, timed
from confapp import entitlement as ent
from confapp import factories
from confapp.admin.report import credentials_report
from confapp.extensions import db
from confapp.models import Conference, Delegate, Group, Role, RoleGrant, User

GROUPS = 650
REGISTRATIONS = 4000
REPORT_BAR_MS = 300  # the bar for the report page

# Statuses of voting registrations, weighted as they stand a few days before the conference.
VOTING_STATUSES = (
    (["approved"] * 70)
    + (["submitted"] * 18)
    + (["draft"] * 6)
    + (["rejected"] * 2)
    + (["withdrawn"] * 2)
    + (["replaced"] * 2)
)
OTHER_PASSES = ("visitor", "visitor", "visitor", "observer", "press", "staff")
OTHER_STATUSES = ("approved", "approved", "submitted", "draft", "withdrawn")


def build(app) -> tuple[int, str, Counter]:
    """The conference, its groups, secretaries and registrations; returns (id, admin, mix)."""
    rng = random.Random(GROUPS)
    with app.app_context():
        conference = factories.conference("Bench registration")
        sections = conference.sections
        rule, card_rule = conference.rule, conference.card_rule
        groups = []
        for i in range(GROUPS):
            # Constituency-party sizes: median about 900 members, a long tail of big ones.
            members = int(rng.lognormvariate(6.8, 0.7)) + 1
            groups.append(
                Group(
                    conference_id=conference.id,
                    section_id=sections[0 if i % 10 else 1].id,
                    name=f"Group {i:04d}",
                    region=f"Region {i % 12}",
                    members=members,
                    women_members=members // 2,
                    young_members=members // 8,
                    in_good_standing=i % 50 != 7,
                )
            )
        db.session.add_all(groups)
        db.session.flush()

        admin = factories.user("admin@bench.example.org", conf=conference, role=Role.ADMIN)
        password_hash = admin.password_hash  # hashed once: scrypt is slow on purpose
        for group in groups:
            secretary = User(email=f"secretary.{group.id}@bench.example.org")
            secretary.password_hash = password_hash
            db.session.add(secretary)
            db.session.add(
                RoleGrant(
                    user=secretary,
                    conference_id=conference.id,
                    role=Role.SECRETARY.value,
                    group_id=group.id,
                )
            )

        rows: list[Delegate] = []

        def add(group: Group, pass_type: str, status: str, **values) -> None:
            n = len(rows)
            rows.append(
                Delegate(
                    conference_id=conference.id,
                    group_id=group.id,
                    pass_type=pass_type,
                    name=f"Person {n}",
                    email=f"person{n}@bench.example.org",
                    status=status,
                    **values,
                )
            )

        # Most groups register their delegates and an alternate or two; some do nothing yet.
        for group in groups:
            if rng.random() < 0.12:
                continue
            entitlement = ent.entitle(rule, card_rule, group.figures)
            seats = ["base"] * entitlement.base_delegates + [
                grant.seat.label for grant in entitlement.reserved
            ]
            for seat in seats:
                add(group, "delegate", rng.choice(VOTING_STATUSES), seat=seat)
            for rank in range(1, rng.choice((0, 1, 1, 2)) + 1):
                add(group, "alternate", rng.choice(VOTING_STATUSES), alternate_rank=rank)
        # Non-voting passes up to the total.
        while len(rows) < REGISTRATIONS:
            add(rng.choice(groups), rng.choice(OTHER_PASSES), rng.choice(OTHER_STATUSES))
        rows = rows[:REGISTRATIONS]
        db.session.add_all(rows)
        db.session.commit()
        mix = Counter(row.pass_type for row in rows)
        return conference.id, admin.email, mix


def measure(client, url: str) -> tuple[int, float, float, int]:
    """Status, median and best ms over 7 runs, and statements of one run."""
    status = client.get(url).status_code  # warm up (and see whether the page is there)
    if status != 200:
        return status, 0.0, 0.0, 0
    with counting_queries() as counter:
        client.get(url)
    median, best = timed(lambda: client.get(url))
    return status, median, best, counter.count


def main() -> None:
    """Build the conference, then print each page's render time and query count."""
    app = bench_app()
    print(f"database: {app.config['DATABASE_URL'].split(':')[0]}")
    conference_id, email, mix = build(app)
    print(
        f"conference: {GROUPS} groups in 2 sections, {sum(mix.values()):,} registrations ("
        + ", ".join(f"{count:,} {kind}" for kind, count in mix.most_common())
        + ")"
    )
    with app.app_context():
        report = credentials_report(db.session.get(Conference, conference_id))
        o = report.overall
        print(
            f"report: {o.groups_entitled} groups entitled, {o.groups_registered} registered, "
            f"{len(report.not_registered)} not; delegates {o.delegates_entitled:,} entitled, "
            f"{o.delegates_registered:,} registered, {o.delegates_approved:,} approved; "
            f"quorum {report.quorum.figure:,}"
        )
    client = app.test_client()
    client.post("/login", data={"email": email, "password": factories.PASSWORD})
    base = f"/admin/conferences/{conference_id}"
    pages = [
        ("credentials report (page)", f"{base}/report"),
        ("credentials report (CSV)", f"{base}/report.csv"),
        ("credentials report (PDF)", f"{base}/report.pdf"),
        ("delegate list", f"{base}/delegates"),
    ]
    print(f"{'page':<28} {'median ms':>10} {'best ms':>8} {'queries':>8}")
    for name, url in pages:
        status, median, best, queries = measure(client, url)
        if status != 200:
            print(f"{name:<28} {'not available (HTTP ' + str(status) + ')':>28}")
            continue
        print(f"{name:<28} {median:>10.1f} {best:>8.1f} {queries:>8}")
    print(f"(the issue's bar for the report page: under {REPORT_BAR_MS} ms)")


if __name__ == "__main__":
    main()
