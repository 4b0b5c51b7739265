"""Rows for tests and benchmarks, with sensible defaults a caller overrides as it needs.

Not used by the app itself: it lives in the package so that `tests/` and `bench/` share it
without a benchmark importing the tests.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta

from confapp import entitlement as ent
from confapp.extensions import db
from confapp.models import (
    Conference,
    Delegate,
    Group,
    PassType,
    Role,
    RoleGrant,
    Section,
    User,
    utcnow,
)

PASSWORD = "correct horse battery"
_counter = itertools.count(1)
_PASSWORD_HASH: list[str] = []  # hashed once: scrypt is slow on purpose, tests make many users

LABOUR_RULE = ent.EntitlementRule(
    formula="steps",
    first=749,
    step=250,
    rounding="up",
    minimum=1,
    cap=6,
    reserved=(ent.ReservedSeat("women's seat", "women_members", 100, 1, "woman"),),
)


def conference(
    name: str | None = None,
    *,
    rule: ent.EntitlementRule = LABOUR_RULE,
    card_rule: ent.CardVoteRule | None = None,
    sections: tuple[str, ...] = ("Local groups", "Affiliates"),
    deadline: datetime | None = None,
) -> Conference:
    """A conference with its sections, committed."""
    n = next(_counter)
    name = name or f"Annual Conference {n}"
    conf = Conference(
        slug=f"annual-conference-{n}",
        name=name,
        starts_on=date(2027, 3, 13),
        ends_on=date(2027, 3, 14),
        registration_deadline=deadline or utcnow() + timedelta(days=30),
        entitlement_rule=rule.to_dict(),
        card_vote_rule=(card_rule or ent.CardVoteRule()).to_dict(),
    )
    db.session.add(conf)
    for position, section_name in enumerate(sections):
        db.session.add(Section(conference=conf, name=section_name, position=position))
    db.session.commit()
    return conf


def section(conf: Conference, name: str = "Local groups") -> Section:
    """The conference's section of that name."""
    return next(s for s in conf.sections if s.name == name)


def group(conf: Conference, name: str | None = None, members: int = 500, **values) -> Group:
    """A group in the conference's first section, committed."""
    values.setdefault("section", conf.sections[0])
    row = Group(conference=conf, name=name or f"Group {next(_counter)}", members=members, **values)
    db.session.add(row)
    db.session.commit()
    return row


def user(
    email: str | None = None,
    *,
    conf: Conference | None = None,
    role: Role | None = None,
    group: Group | None = None,
    site_admin: bool = False,
    password: str | None = PASSWORD,
) -> User:
    """A user, with a role in a conference if given, committed."""
    row = User(email=email or f"person{next(_counter)}@example.org", is_site_admin=site_admin)
    if password == PASSWORD:
        if not _PASSWORD_HASH:
            row.set_password(PASSWORD)
            _PASSWORD_HASH.append(row.password_hash)
        row.password_hash = _PASSWORD_HASH[0]
    elif password:
        row.set_password(password)
    db.session.add(row)
    if role is not None:
        db.session.add(RoleGrant(user=row, conference_id=conf.id, role=role.value, group=group))
    db.session.commit()
    return row


def approved_person(
    conf: Conference,
    group: Group,
    name: str,
    pass_type: str = "delegate",
    *,
    email: str | None = None,
    actor: User | None = None,
) -> Delegate:
    """An approved registration with a live badge code, committed."""
    from confapp.credentials import services as credentials

    person = Delegate(
        conference_id=conf.id,
        group_id=group.id,
        pass_type=pass_type,
        seat="base" if pass_type == PassType.DELEGATE else None,
        alternate_rank=1 if pass_type == PassType.ALTERNATE else None,
        name=name,
        email=email or f"{name.lower().replace(' ', '.')}@example.org",
        status="approved",
    )
    db.session.add(person)
    db.session.flush()
    credentials.issue(person, actor)
    db.session.commit()
    return person


def election(
    conf: Conference,
    candidates: list[str] = ("Asha", "Bryn", "Cerys", "Dev"),
    *,
    seats: int = 2,
    title: str = "National committee",
    rule: str = "scottish",
    weighting: str = "one_each",
    categories: dict[str, tuple[int, int | None, list[str]]] | None = None,
    papers: list[int] | None = None,
):
    """An election with candidates (placed on the paper in the order given), committed.

    `categories` maps a quota's name to (min seats, max seats, names of its candidates);
    `papers` lists the values of papers issued: given, the election is polling (seed "test").
    """
    from confapp.models import Candidate, Election, ElectionCategory, ElectionPaper

    elect = Election(
        conference_id=conf.id,
        title=title,
        seats=seats,
        rule=rule,
        weighting=weighting,
        state="polling" if papers is not None else "nominations",
    )
    db.session.add(elect)
    by_name = {}
    for position, name in enumerate(candidates, start=1):
        by_name[name] = Candidate(name=name, position=position if papers is not None else None)
        elect.candidates.append(by_name[name])
    for name, (low, high, members) in (categories or {}).items():
        category = ElectionCategory(name=name, min_seats=low, max_seats=high)
        elect.categories.append(category)
        for member in members:
            by_name[member].categories.append(category)
    if papers is not None:
        elect.seed = "test"
        elect.polling_opened_at = utcnow()
        db.session.flush()
        db.session.add_all(
            ElectionPaper(election_id=elect.id, number=number, value=value)
            for number, value in enumerate(papers, start=1)
        )
    db.session.commit()
    return elect


def members(conf: Conference, groups: list[Group], per_group: int = 3, **values) -> list:
    """`per_group` members in good standing in each group (numbers M00001 ...), committed."""
    from confapp.models import Member

    rows = []
    for group in groups:
        for _ in range(per_group):
            n = len(rows) + 1
            rows.append(
                Member(
                    conference_id=conf.id,
                    number=f"M{n:05d}",
                    name=f"Member {n}",
                    email=f"member{n}@example.org",
                    group_id=group.id,
                    joined_on=date(2020, 1, 1),
                    **values,
                )
            )
    db.session.add_all(rows)
    db.session.commit()
    return rows


def member_ballot(
    conf: Conference,
    questions: list[dict] | None = None,
    *,
    title: str = "Members' ballot",
    phase: str = "draft",
    frozen_on: date | None = None,
):
    """A members' ballot, committed; `phase` draft, roll (opens tomorrow), open or closed.

    Each question is a dict of MemberQuestion fields plus "options": [labels] or
    [(label, [categories])]; default one yes/no question. Any phase but draft makes the roll
    (every member in good standing on `frozen_on`, default today).
    """
    from confapp.members import roll
    from confapp.models import MemberBallot, MemberOption, MemberQuestion

    now = utcnow()
    opens, closes = {
        "draft": (now + timedelta(days=1), now + timedelta(days=8)),
        "roll": (now + timedelta(days=1), now + timedelta(days=8)),
        "open": (now - timedelta(hours=1), now + timedelta(days=7)),
        "closed": (now - timedelta(days=8), now - timedelta(hours=1)),
    }[phase]
    ballot = MemberBallot(
        conference_id=conf.id,
        title=title,
        opens_at=opens,
        closes_at=closes,
        frozen_on=frozen_on or now.date(),
    )
    for position, spec in enumerate(questions or [{"kind": "yes_no"}], start=1):
        spec = dict(spec)
        options = spec.pop("options", [])
        spec.setdefault("title", f"Question {position}")
        question = MemberQuestion(position=position, **spec)
        for place, option in enumerate(options, start=1):
            label, categories = option if isinstance(option, tuple) else (option, [])
            question.options.append(
                MemberOption(position=place, label=label, categories=list(categories))
            )
        ballot.questions.append(question)
    db.session.add(ballot)
    db.session.commit()
    if phase != "draft":
        roll.make_roll(ballot)
    return ballot
