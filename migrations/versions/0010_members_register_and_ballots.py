"""members: the register, members' ballots (voters and papers), the scrutineer role

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 01:59:25

Delegates and candidates carry a membership number and the committee's override reason;
a conference may take its groups' figures from the register.
"""

import sqlalchemy as sa
from alembic import op

ROLES_BEFORE = "role IN ('admin', 'secretary', 'steward', 'teller')"
ROLES_AFTER = "role IN ('admin', 'secretary', 'steward', 'teller', 'scrutineer')"


def _recheck_roles(condition: str) -> None:
    """Replace role_grant's CHECK; SQLite rebuilds the table, so its expression index too."""
    op.drop_index("uq_role_grant_once", table_name="role_grant")
    with op.batch_alter_table("role_grant", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_role_grant_known_role"), type_="check")
        batch_op.create_check_constraint(op.f("ck_role_grant_known_role"), sa.text(condition))
    op.create_index(
        "uq_role_grant_once",
        "role_grant",
        ["user_id", "conference_id", "role", sa.text("coalesce(group_id, 0)")],
        unique=True,
    )


# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "member_ballot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conference_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("opens_at", sa.DateTime(), nullable=False),
        sa.Column("closes_at", sa.DateTime(), nullable=False),
        sa.Column(
            "electorate",
            sa.Enum(
                "all",
                "region",
                "group",
                "section",
                name="known_electorate",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("electorate_value", sa.String(length=200), nullable=False),
        sa.Column("frozen_on", sa.Date(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "draft",
                "roll",
                "published",
                name="known_member_ballot_state",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("referred_from_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("roll_made_at", sa.DateTime(), nullable=True),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.CheckConstraint(
            "closes_at > opens_at", name=op.f("ck_member_ballot_closes_after_opening")
        ),
        sa.ForeignKeyConstraint(
            ["conference_id"],
            ["conference.id"],
            name=op.f("fk_member_ballot_conference_id_conference"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["published_by_id"],
            ["user.id"],
            name=op.f("fk_member_ballot_published_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["referred_from_id"],
            ["ballot.id"],
            name=op.f("fk_member_ballot_referred_from_id_ballot"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_ballot")),
    )
    with op.batch_alter_table("member_ballot", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_member_ballot_conference_id"), ["conference_id"], unique=False
        )

    op.create_table(
        "member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conference_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("joined_on", sa.Date(), nullable=False),
        sa.Column("in_good_standing", sa.Boolean(), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conference_id"],
            ["conference.id"],
            name=op.f("fk_member_conference_id_conference"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"], ["group.id"], name=op.f("fk_member_group_id_group"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member")),
        sa.UniqueConstraint("conference_id", "number", name="uq_member_number"),
    )
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_member_conference_id"), ["conference_id"], unique=False
        )
        batch_op.create_index("ix_member_email", ["conference_id", "email"], unique=False)
        batch_op.create_index(batch_op.f("ix_member_group_id"), ["group_id"], unique=False)

    op.create_table(
        "member_question",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ballot_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "yes_no",
                "choose_one",
                "choose_up_to",
                "stv",
                name="known_question_kind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("majority", sa.String(length=20), nullable=False),
        sa.Column("turnout_threshold", sa.Integer(), nullable=True),
        sa.Column("max_choices", sa.Integer(), nullable=True),
        sa.Column("seats", sa.Integer(), nullable=True),
        sa.Column("rule", sa.String(length=20), nullable=False),
        sa.Column("quotas", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ballot_id"],
            ["member_ballot.id"],
            name=op.f("fk_member_question_ballot_id_member_ballot"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_question")),
    )
    with op.batch_alter_table("member_question", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_member_question_ballot_id"), ["ballot_id"], unique=False
        )

    op.create_table(
        "member_vote",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("ballot_id", sa.Integer(), nullable=False),
        sa.Column("is_cast", sa.Boolean(), nullable=False),
        sa.Column("receipt", sa.String(length=20), nullable=True),
        sa.Column("choices", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ballot_id"],
            ["member_ballot.id"],
            name=op.f("fk_member_vote_ballot_id_member_ballot"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_vote")),
        sa.UniqueConstraint("receipt", name=op.f("uq_member_vote_receipt")),
        postgresql_with={"fillfactor": 50},
    )
    with op.batch_alter_table("member_vote", schema=None) as batch_op:
        batch_op.create_index("ix_member_vote_blank", ["ballot_id", "is_cast", "id"], unique=False)

    op.create_table(
        "member_option",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["member_question.id"],
            name=op.f("fk_member_option_question_id_member_question"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_option")),
    )
    with op.batch_alter_table("member_option", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_member_option_question_id"), ["question_id"], unique=False
        )

    op.create_table(
        "voter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ballot_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("region", sa.String(length=200), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=True),
        sa.Column("has_voted", sa.Boolean(), nullable=False),
        sa.Column(
            "email_status",
            sa.Enum(
                "pending",
                "queued",
                "sent",
                "failed",
                "bounced",
                name="known_email_status",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("email_error", sa.String(length=500), nullable=False),
        sa.Column("emailed_at", sa.DateTime(), nullable=True),
        sa.Column("sends", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ballot_id"],
            ["member_ballot.id"],
            name=op.f("fk_voter_ballot_id_member_ballot"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"], ["group.id"], name=op.f("fk_voter_group_id_group"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_voter_member_id_member"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voter")),
        sa.UniqueConstraint("ballot_id", "member_id", name="uq_voter_member"),
        sa.UniqueConstraint("code_hash", name=op.f("uq_voter_code_hash")),
    )
    with op.batch_alter_table("voter", schema=None) as batch_op:
        batch_op.create_index("ix_voter_ballot_group", ["ballot_id", "group_id"], unique=False)

    with op.batch_alter_table("candidate", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("membership_number", sa.String(length=40), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("member_override", sa.String(length=500), server_default="", nullable=False)
        )

    with op.batch_alter_table("conference", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "figures_from_register", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )

    with op.batch_alter_table("group", schema=None) as batch_op:
        batch_op.add_column(sa.Column("register_members", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("register_women_members", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("register_young_members", sa.Integer(), nullable=True))

    with op.batch_alter_table("delegate", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("membership_number", sa.String(length=40), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("member_override", sa.String(length=500), server_default="", nullable=False)
        )

    _recheck_roles(ROLES_AFTER)


def downgrade():
    op.execute("DELETE FROM role_grant WHERE role = 'scrutineer'")
    _recheck_roles(ROLES_BEFORE)

    with op.batch_alter_table("group", schema=None) as batch_op:
        batch_op.drop_column("register_young_members")
        batch_op.drop_column("register_women_members")
        batch_op.drop_column("register_members")

    with op.batch_alter_table("delegate", schema=None) as batch_op:
        batch_op.drop_column("member_override")
        batch_op.drop_column("membership_number")

    with op.batch_alter_table("conference", schema=None) as batch_op:
        batch_op.drop_column("figures_from_register")

    with op.batch_alter_table("candidate", schema=None) as batch_op:
        batch_op.drop_column("member_override")
        batch_op.drop_column("membership_number")

    with op.batch_alter_table("voter", schema=None) as batch_op:
        batch_op.drop_index("ix_voter_ballot_group")

    op.drop_table("voter")
    with op.batch_alter_table("member_option", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_member_option_question_id"))

    op.drop_table("member_option")
    with op.batch_alter_table("member_vote", schema=None) as batch_op:
        batch_op.drop_index("ix_member_vote_blank")

    op.drop_table("member_vote")
    with op.batch_alter_table("member_question", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_member_question_ballot_id"))

    op.drop_table("member_question")
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_member_group_id"))
        batch_op.drop_index("ix_member_email")
        batch_op.drop_index(batch_op.f("ix_member_conference_id"))

    op.drop_table("member")
    with op.batch_alter_table("member_ballot", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_member_ballot_conference_id"))

    op.drop_table("member_ballot")
