"""The demo: the Local Groups Network Conference, 150 groups and 21,000 members.

Past 500 lines because the demo is a whole conference day (groups, registrations in every
state, badges, two doors, a declared card vote), each step a short function of its own.
"""

from __future__ import annotations

import itertools
import math
import random
import unicodedata
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from confapp import audit
from confapp import entitlement as ent
from confapp.auth import services as users
from confapp.credentials import codes
from confapp.extensions import db
from confapp.members import demo as member_demo
from confapp.models import (
    BASE_SEAT,
    Conference,
    Credential,
    Delegate,
    Group,
    PassType,
    Role,
    Section,
    Status,
    User,
)

SLUG = "local-groups-network-conference"
NAME = "Local Groups Network Conference"
TOTAL_MEMBERS = 21_000
LOCAL_GROUPS = 120
AFFILIATES = 30
SEED = 2027  # the same demo every time, so notes and screenshots agree

# Demo logins: e-mail, password, role, and for a secretary the groups they serve.
LOGINS = [
    ("admin@example.org", "demo-admin-pass", Role.ADMIN, ()),
    ("secretary@example.org", "demo-secretary-pass", Role.SECRETARY, ("Leeds", "Ynys Môn")),
    ("steward@example.org", "demo-steward-pass", Role.STEWARD, ()),
    ("teller@example.org", "demo-teller-pass", Role.TELLER, ()),
    # Reads everything the committee reads, changes nothing (members' ballots, the count).
    ("scrutineer@example.org", "demo-scrutineer-pass", Role.SCRUTINEER, ()),
    # A second teller: a card vote is counted twice, independently.
    ("chief.teller@example.org", "demo-teller-pass", Role.TELLER, ()),
]

REGIONS = {
    "North": [
        "Leeds",
        "Sheffield",
        "York",
        "Newcastle",
        "Durham",
        "Hull",
        "Bradford",
        "Lancaster",
        "Preston",
        "Carlisle",
        "Sunderland",
        "Wakefield",
        "Halifax",
    ],
    "Midlands": [
        "Birmingham",
        "Nottingham",
        "Leicester",
        "Derby",
        "Coventry",
        "Stoke",
        "Wolverhampton",
        "Lincoln",
        "Worcester",
        "Hereford",
        "Northampton",
    ],
    "London": [
        "Hackney",
        "Camden",
        "Lambeth",
        "Southwark",
        "Islington",
        "Lewisham",
        "Haringey",
        "Newham",
        "Brent",
        "Croydon",
        "Ealing",
        "Greenwich",
    ],
    "South East": [
        "Brighton",
        "Oxford",
        "Reading",
        "Canterbury",
        "Southampton",
        "Portsmouth",
        "Guildford",
        "Milton Keynes",
        "Hastings",
        "Luton",
    ],
    "South West": [
        "Bristol",
        "Exeter",
        "Plymouth",
        "Bath",
        "Gloucester",
        "Truro",
        "Swindon",
        "Bournemouth",
        "Taunton",
    ],
    "Scotland": [
        "Glasgow",
        "Edinburgh",
        "Dundee",
        "Aberdeen",
        "Inverness",
        "Stirling",
        "Perth",
        "Paisley",
    ],
    "Wales": [
        "Cardiff",
        "Swansea",
        "Newport",
        "Wrexham",
        "Aberystwyth",
        "Bangor",
        "Ynys Môn",
        "Caerfyrddin",
        "Pen-y-bont ar Ogwr",
    ],
    "Northern Ireland": ["Belfast", "Derry", "Lisburn", "Newry", "Dún Laoghaire Link"],
}
AFFILIATE_NAMES = [
    "Tenants' Union",
    "Cyclists' Alliance",
    "Carers' Network",
    "Pensioners' Forum",
    "Students' Federation",
    "Allotment Holders' Association",
    "Disabled Members' Network",
    "Youth Collective",
    "Credit Union League",
    "Renters' Association",
    "Food Co-operatives",
    "Community Energy Co-op",
    "Library Friends' Network",
    "Bus Users' Group",
    "Migrant Workers' Network",
    "Parents' Assembly",
    "Care Workers' Guild",
    "Walkers' Association",
    "Housing Co-operatives",
    "Refugee Support Network",
    "Climate Action Circle",
    "Repair Cafés Network",
    "Women's Assembly",
    "LGBT+ Network",
    "Faith Communities' Forum",
    "Artists' Collective",
    "Small Farmers' Union",
    "Rural Transport Trust",
    "Mutual Aid Federation",
    "Black Members' Section",
]


WOMEN = [
    "Ann",
    "Siân",
    "Aoife",
    "Małgorzata",
    "Fatima",
    "Mei",
    "Grace",
    "Priya",
    "Niamh",
    "Olivia",
    "Zofia",
    "Amira",
    "Rhiannon",
    "Ewa",
    "Chloe",
    "Yasmin",
    "Cerys",
    "Li",
]
MEN = [
    "David",
    "Dafydd",
    "Seán",
    "Piotr",
    "Omar",
    "Wei",
    "James",
    "Ravi",
    "Ciarán",
    "Tom",
    "Krzysztof",
    "Yusuf",
    "Gareth",
    "Tomasz",
    "Sam",
    "Karim",
    "Owain",
    "Jun",
]
SURNAMES = [
    "Jones",
    "Ó Súilleabháin",
    "Wiśniewski",
    "Al-Hashimi",
    "Zhang",
    "Smith",
    "ap Gruffydd",
    "Patel",
    "Nowak",
    "Murphy",
    "Williams",
    "Haddad",
    "Chen",
    "Evans",
    "Kowalczyk",
    "Mac Giolla Phádraig",
    "Okafor",
    "Thomas",
]
UNREGISTERED, WAITING = 12, 10  # groups left for the committee to chase, and to review


DOORS = ("Main entrance", "Side door")


def demo_rule() -> tuple[ent.EntitlementRule, ent.CardVoteRule]:
    """1 delegate for the first 100 members, 1 more per further 100 or part, cap 5; two seats."""
    rule = ent.EntitlementRule(
        formula="steps",
        first=100,
        step=100,
        rounding="up",
        minimum=1,
        cap=5,
        reserved=(
            ent.ReservedSeat("women's seat", "women_members", 60, 1, "woman"),
            ent.ReservedSeat("young members' seat", "young_members", 25, 1, "young"),
        ),
        equality=ent.EqualityRule(women_every_second=True, young_from=4),
        max_alternates=2,
    )
    return rule, ent.CardVoteRule(mode="block")


def spread_memberships(count: int, total: int, rng: random.Random) -> list[int]:
    """`count` memberships adding to exactly `total`: many small groups, a few large."""
    weights = [rng.lognormvariate(0, 0.85) for _ in range(count)]
    scale = total / sum(weights)
    raw = [w * scale for w in weights]
    sizes = [max(8, math.floor(r)) for r in raw]
    # Hand out (or take back) the difference one member at a time, largest remainders first.
    order = sorted(range(count), key=lambda i: raw[i] - math.floor(raw[i]), reverse=True)
    i = 0
    while sum(sizes) != total:
        k = order[i % count]
        if sum(sizes) < total:
            sizes[k] += 1
        elif sizes[k] > 8:
            sizes[k] -= 1
        i += 1
    return sizes


def _group_names(rng: random.Random) -> list[tuple[str, str]]:
    """120 local groups as (name, region), spread over the regions."""
    towns = [(town, region) for region, names in REGIONS.items() for town in names]
    names = list(towns)
    for town, region in towns:
        if len(names) >= LOCAL_GROUPS:
            break
        names.append((f"{town} East", region))
    return names[:LOCAL_GROUPS]


def load_demo(echo: Callable[[str], None] = print) -> Conference:
    """Create the demo conference, its groups and logins; does nothing if it exists."""
    existing = db.session.execute(
        db.select(Conference).where(Conference.slug == SLUG)
    ).scalar_one_or_none()
    if existing is not None:
        echo(f"The demo conference is already here (id {existing.id}); nothing changed.")
        return existing
    rng = random.Random(SEED)
    rule, card_rule = demo_rule()
    conference = _new_conference(rule, card_rule)
    groups = _add_groups(conference, rng)
    registered = _register_delegations(conference, groups, rule, card_rule, rng)
    _add_logins(conference, {g.name: g for g in groups})
    db.session.commit()
    inside = _open_the_doors(conference, rng)
    floor = _take_the_floor(conference, rng)
    members = sum(g.members for g in groups)
    register = member_demo.add_members(conference, groups, rng)
    ballots = member_demo.add_ballots(conference, rng)
    echo(
        f"Created {NAME}: {len(groups)} groups, {members:,} members declared, {registered}, "
        f"{inside}, {floor}; {register:,} on the register, {ballots}."
    )
    return conference


def _new_conference(rule: ent.EntitlementRule, card_rule: ent.CardVoteRule) -> Conference:
    """The conference, six weeks ahead, with its two sections weighted 50/50."""
    today = date.today()
    conference = Conference(
        slug=SLUG,
        name=NAME,
        venue="Assembly Rooms, Leicester",
        timezone="Europe/London",
        starts_on=today + timedelta(days=45),
        ends_on=today + timedelta(days=46),
        registration_deadline=datetime.combine(today + timedelta(days=30), time(17)),
        membership_as_at=today - timedelta(days=60),
        entitlement_rule=rule.to_dict(),
        card_vote_rule=card_rule.to_dict(),
        quorum_percent=50,
    )
    db.session.add(conference)
    db.session.flush()
    audit.record("conference.create", conference, after=audit.snapshot(conference), summary=NAME)
    db.session.add_all(
        [
            Section(conference=conference, name="Local groups", weight=50, position=0),
            Section(conference=conference, name="Affiliates", weight=50, position=1),
        ]
    )
    db.session.flush()
    return conference


def _add_groups(conference: Conference, rng: random.Random) -> list[Group]:
    """120 local groups and 30 affiliates sharing the members; three in arrears."""
    local, affiliates = conference.sections
    sizes = spread_memberships(LOCAL_GROUPS + AFFILIATES, TOTAL_MEMBERS, rng)
    places = _group_names(rng) + [(n, "National") for n in AFFILIATE_NAMES]
    arrears = set(rng.sample(range(LOCAL_GROUPS + AFFILIATES), 3))
    groups = []
    for index, ((name, region), members) in enumerate(zip(places, sizes, strict=True)):
        group = Group(
            conference=conference,
            section=local if index < LOCAL_GROUPS else affiliates,
            name=name,
            region=region,
            members=members,
            women_members=round(members * rng.uniform(0.38, 0.62)),
            young_members=round(members * rng.uniform(0.05, 0.22)),
            membership_as_at=conference.membership_as_at,
            in_good_standing=index not in arrears,
        )
        groups.append(group)
    db.session.add_all(groups)
    db.session.flush()
    audit.record("group.import", conference, summary=f"demo: {len(groups)} groups")
    return groups


def _add_logins(conference: Conference, by_name: dict[str, Group]) -> None:
    """The demo's users (LOGINS), each with their role; the secretary for their groups."""
    for email, password, role, group_names in LOGINS:
        user, _ = users.get_or_create_user(email, email.split("@")[0].title())
        user.set_password(password)
        if role == Role.ADMIN:
            users.make_site_admin(user)
        if group_names:
            for group_name in group_names:
                users.grant_role(user, conference, role, by_name[group_name])
        else:
            users.grant_role(user, conference, role)


def _take_the_floor(conference: Conference, rng: random.Random) -> str:
    """A card vote declared by two tellers who agreed, and a rule change ready to open."""
    from confapp.voting import services as voting

    chair, teller, second = (
        db.session.execute(db.select(User).where(User.email == email)).scalar_one()
        for email in ("admin@example.org", "teller@example.org", "chief.teller@example.org")
    )
    motion = voting.create_ballot(
        conference,
        title="Motion 3: Affordable venues for local groups",
        kind="motion",
        majority="simple",
        mode=conference.card_rule.mode,
        session="Saturday morning",
        actor=chair,
    )
    voting.take_show_of_hands(motion, chair)
    voting.record_hands(motion, "card_vote_called", chair)
    for row in voting.roll(motion):
        # Most delegations for; a few against or abstaining, as a real floor would vote.
        choice = rng.choices(["for", "against", "abstain"], weights=[6, 3, 1])[0]
        votes = voting.votes_for_choice(choice, row.votes)
        for person in (teller, second):
            voting.enter_votes(motion, person, row.group_id, votes)
    voting.close_voting(motion, chair)
    voting.declare(motion, chair)
    voting.create_ballot(
        conference,
        title="Rule change 1: Two-year terms for the national committee",
        kind="rule_change",
        majority="two_thirds",
        mode=conference.card_rule.mode,
        session="Saturday afternoon",
        actor=chair,
    )
    db.session.commit()
    return "a card vote declared and a rule change ready to open"


def _open_the_doors(conference: Conference, rng: random.Random) -> str:
    """Two doors, and about three in four approved delegates scanned in, so presence shows."""
    from confapp.checkin import services as doors
    from confapp.checkin.scans import ScanInput, Scanner, record_scan

    names = [doors.add_door(conference, name).name for name in DOORS]
    badges = db.session.execute(
        db.select(Credential.code)
        .join(Delegate, Delegate.id == Credential.delegate_id)
        .where(
            Credential.conference_id == conference.id,
            Credential.revoked_at.is_(None),
            Delegate.pass_type == PassType.DELEGATE,
        )
        .order_by(Credential.id)
    ).scalars()
    steward = Scanner(conference_id=conference.id, actor="demo", browser="demo")
    admitted = 0
    for number, code in enumerate(badges):
        if rng.random() < 0.75:
            scan = ScanInput(
                direction="in", nonce=f"demo-{number}", code=code, door=rng.choice(names)
            )
            admitted += record_scan(steward, scan).status == "ok"
    return f"{admitted} delegates inside"


def _register_delegations(conference, groups, rule, card_rule, rng: random.Random) -> str:
    """Most groups registered and approved, some waiting for review, a few not registered."""
    entitled = [g for g in groups if ent.entitle(rule, card_rule, g.figures).total_delegates]
    # The demo secretary's groups stay open so a newcomer can register a delegation.
    open_groups = [g for g in entitled if g.name in {"Leeds", "Ynys Môn"}]
    others = [g for g in entitled if g not in open_groups]
    rng.shuffle(others)
    unregistered = open_groups + others[: UNREGISTERED - len(open_groups)]
    waiting = set(id(g) for g in others[len(unregistered) - len(open_groups) :][:WAITING])
    now = datetime.now(UTC).replace(tzinfo=None)
    people = 0
    for group in groups:
        if group in unregistered or group not in entitled:
            continue
        status = Status.SUBMITTED if id(group) in waiting else Status.APPROVED
        result = ent.entitle(rule, card_rule, group.figures)
        seats = [BASE_SEAT] * result.base_delegates
        seats += [grant.seat.label for grant in result.reserved for _ in range(grant.seats)]
        for index, seat in enumerate(seats):
            # Every second base delegate a woman, and the women's seat a woman.
            woman = seat == "women's seat" or (seat == BASE_SEAT and index % 2 == 0)
            young = seat == "young members' seat" or index == 1 or rng.random() < 0.15
            people += _demo_person(conference, group, rng, status, now, woman, young, seat=seat)
        if rng.random() < 0.5:
            people += _demo_person(
                conference, group, rng, status, now, rng.random() < 0.5, False, rank=1
            )
    db.session.flush()
    approved = db.session.execute(
        db.select(Delegate.id).where(
            Delegate.conference_id == conference.id, Delegate.status == Status.APPROVED
        )
    ).scalars()
    db.session.add_all(
        Credential(conference_id=conference.id, delegate_id=i, code=codes.new_code())
        for i in approved
    )
    audit.record("delegate.import", conference, summary=f"demo: {people} registrations")
    audit.record("credential.issue", conference, summary="demo: a credential for each approved")
    return f"{people} delegates and alternates registered"


def _demo_person(conference, group, rng, status, now, woman, young, *, seat=None, rank=None):
    first = rng.choice(WOMEN if woman else MEN)
    last = rng.choice(SURNAMES)
    number = next(_EMAILS)
    slug = unicodedata.normalize("NFKD", f"{first}.{last}").encode("ascii", "ignore").decode()
    db.session.add(
        Delegate(
            conference_id=conference.id,
            group_id=group.id,
            pass_type=PassType.ALTERNATE if rank else PassType.DELEGATE,
            seat=seat,
            alternate_rank=rank,
            name=f"{first} {last}",
            email=f"{slug.lower().replace(' ', '')}.{number}@example.org",
            is_woman=woman,
            is_young=young,
            elected_on=conference.membership_as_at,
            elected_at="Annual general meeting",
            status=status,
            submitted_at=now,
            decided_at=now if status == Status.APPROVED else None,
        )
    )
    return 1


_EMAILS = itertools.count(1)


def print_logins(echo: Callable[[str], None] = print) -> None:
    """Print the demo logins, for the README's first run, and a member's voting link."""
    echo("Demo logins (e-mail / password):")
    for email, password, role, group_names in LOGINS:
        extra = f" of {', '.join(group_names)}" if group_names else ""
        echo(f"  {role.value:<10} {email:<24} {password}{extra}")
    echo(f"A member's voting link (the {member_demo.ELECTION}): {member_demo.voting_link()}")
