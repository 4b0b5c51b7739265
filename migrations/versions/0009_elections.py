"""elections: an election, its quota categories, candidates, papers and teller entries

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 23:41:16

The conference can also put an election's result on the projector.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "election",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conference_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column(
            "rule",
            sa.Enum(
                "scottish",
                "meek",
                name="known_election_rule",
                native_enum=False,
                create_constraint=True,
                length=10,
            ),
            nullable=False,
        ),
        sa.Column(
            "weighting",
            sa.Enum(
                "one_each",
                "split",
                "block",
                name="known_election_weighting",
                native_enum=False,
                create_constraint=True,
                length=10,
            ),
            nullable=False,
        ),
        sa.Column(
            "candidate_order",
            sa.Enum(
                "alphabetical",
                "drawn",
                name="known_candidate_order",
                native_enum=False,
                create_constraint=True,
                length=15,
            ),
            nullable=False,
        ),
        sa.Column(
            "state",
            sa.Enum(
                "nominations",
                "polling",
                "counted",
                "declared",
                name="known_election_state",
                native_enum=False,
                create_constraint=True,
                length=15,
            ),
            nullable=False,
        ),
        sa.Column("nominations_close_at", sa.DateTime(), nullable=True),
        sa.Column("polling_closes_at", sa.DateTime(), nullable=True),
        sa.Column("seed", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("polling_opened_at", sa.DateTime(), nullable=True),
        sa.Column("counted_at", sa.DateTime(), nullable=True),
        sa.Column("declared_at", sa.DateTime(), nullable=True),
        sa.Column("declared_by_id", sa.Integer(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.CheckConstraint("seats >= 1", name=op.f("ck_election_at_least_one_seat")),
        sa.ForeignKeyConstraint(
            ["conference_id"],
            ["conference.id"],
            name=op.f("fk_election_conference_id_conference"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["declared_by_id"],
            ["user.id"],
            name=op.f("fk_election_declared_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_election")),
    )
    with op.batch_alter_table("election", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_election_conference_id"), ["conference_id"], unique=False
        )

    op.create_table(
        "election_category",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("election_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("min_seats", sa.Integer(), nullable=False),
        sa.Column("max_seats", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "max_seats IS NULL OR max_seats >= min_seats",
            name=op.f("ck_election_category_max_not_below_min"),
        ),
        sa.CheckConstraint("min_seats >= 0", name=op.f("ck_election_category_min_not_negative")),
        sa.ForeignKeyConstraint(
            ["election_id"],
            ["election.id"],
            name=op.f("fk_election_category_election_id_election"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_election_category")),
        sa.UniqueConstraint("election_id", "name", name="uq_election_category_name"),
    )
    with op.batch_alter_table("election_category", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_election_category_election_id"), ["election_id"], unique=False
        )

    op.create_table(
        "election_paper",
        sa.Column("election_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.CheckConstraint("value >= 1", name=op.f("ck_election_paper_paper_value_positive")),
        sa.ForeignKeyConstraint(
            ["election_id"],
            ["election.id"],
            name=op.f("fk_election_paper_election_id_election"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("election_id", "number", name=op.f("pk_election_paper")),
    )
    op.create_table(
        "candidate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("election_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("nominated_by_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["election_id"],
            ["election.id"],
            name=op.f("fk_candidate_election_id_election"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["group.id"],
            name=op.f("fk_candidate_group_id_group"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["nominated_by_id"],
            ["user.id"],
            name=op.f("fk_candidate_nominated_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_candidate")),
        sa.UniqueConstraint("election_id", "position", name="uq_candidate_position"),
    )
    with op.batch_alter_table("candidate", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_candidate_election_id"), ["election_id"], unique=False)

    op.create_table(
        "election_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("election_id", sa.Integer(), nullable=False),
        sa.Column("sheet", sa.Integer(), nullable=False),
        sa.Column("paper_number", sa.Integer(), nullable=False),
        sa.Column("preferences", sa.String(length=400), nullable=False),
        sa.Column("teller_id", sa.Integer(), nullable=True),
        sa.Column("entered_at", sa.DateTime(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.CheckConstraint("sheet IN (1, 2)", name=op.f("ck_election_entry_election_two_sheets")),
        sa.ForeignKeyConstraint(
            ["election_id", "paper_number"],
            ["election_paper.election_id", "election_paper.number"],
            name=op.f("fk_election_entry_election_id_election_paper"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["election_id"],
            ["election.id"],
            name=op.f("fk_election_entry_election_id_election"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["teller_id"],
            ["user.id"],
            name=op.f("fk_election_entry_teller_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_election_entry")),
    )
    with op.batch_alter_table("election_entry", schema=None) as batch_op:
        batch_op.create_index(
            "uq_election_entry_current",
            ["election_id", "sheet", "paper_number"],
            unique=True,
            sqlite_where=sa.text("is_current"),
            postgresql_where=sa.text("is_current"),
        )

    op.create_table(
        "candidate_category",
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["candidate.id"],
            name=op.f("fk_candidate_category_candidate_id_candidate"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["election_category.id"],
            name=op.f("fk_candidate_category_category_id_election_category"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("candidate_id", "category_id", name=op.f("pk_candidate_category")),
    )
    with op.batch_alter_table("conference", schema=None) as batch_op:
        batch_op.add_column(sa.Column("projector_election_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_conference_projector_election_id_election"),
            "election",
            ["projector_election_id"],
            ["id"],
            ondelete="SET NULL",
            use_alter=True,
        )


def downgrade():
    with op.batch_alter_table("conference", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_conference_projector_election_id_election"), type_="foreignkey"
        )
        batch_op.drop_column("projector_election_id")

    op.drop_table("candidate_category")
    with op.batch_alter_table("election_entry", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_election_entry_current",
            sqlite_where=sa.text("is_current"),
            postgresql_where=sa.text("is_current"),
        )

    op.drop_table("election_entry")
    with op.batch_alter_table("candidate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_candidate_election_id"))

    op.drop_table("candidate")
    op.drop_table("election_paper")
    with op.batch_alter_table("election_category", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_election_category_election_id"))

    op.drop_table("election_category")
    with op.batch_alter_table("election", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_election_conference_id"))

    op.drop_table("election")
