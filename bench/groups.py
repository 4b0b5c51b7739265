"""Render the committee's group list for conferences of growing size; print times and queries.

Run: .venv/bin/python -m bench.groups   (BENCH_DATABASE_URL=postgresql+psycopg://... for PostgreSQL)
"""

from __future__ import annotations

import random

from bench.common import bench_app, counting_queries, timed
from confapp import factories
from confapp.extensions import db
from confapp.models import Group, Role


def build(app, groups: int):
    """A conference with `groups` groups of realistic sizes and an admin; returns (id, admin)."""
    rng = random.Random(groups)
    with app.app_context():
        conference = factories.conference(f"Bench {groups}")
        sections = conference.sections
        rows = []
        for i in range(groups):
            members = int(rng.lognormvariate(5.5, 1.0)) + 1
            rows.append(
                Group(
                    conference_id=conference.id,
                    section_id=sections[i % len(sections)].id,
                    name=f"Group {i:04d}",
                    region=f"Region {i % 12}",
                    members=members,
                    women_members=members // 2,
                    young_members=members // 8,
                )
            )
        db.session.add_all(rows)
        db.session.commit()
        admin = factories.user(f"admin{groups}@example.org", conf=conference, role=Role.ADMIN)
        return conference.id, admin.email


def main() -> None:
    """Print render time and query count of the group list per size."""
    app = bench_app()
    print(f"database: {app.config['DATABASE_URL'].split(':')[0]}")
    print(f"{'groups':>7} {'median ms':>10} {'best ms':>8} {'queries':>8}")
    for size in (150, 650, 2000):
        conference_id, email = build(app, size)
        client = app.test_client()
        client.post("/login", data={"email": email, "password": factories.PASSWORD})
        url = f"/admin/conferences/{conference_id}/groups?sort=delegates&dir=desc"
        assert client.get(url).status_code == 200
        with counting_queries() as counter:
            client.get(url)
        median, best = timed(lambda url=url, client=client: client.get(url))
        print(f"{size:>7} {median:>10.1f} {best:>8.1f} {counter.count:>8}")


if __name__ == "__main__":
    main()
