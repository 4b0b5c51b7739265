"""every status and kind checked by the database

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 21:00:00

The models now declare every status and kind as a StrEnum column checked by a CHECK
constraint (models.one_of). Most already had their constraint, under the same name; these
three columns had none.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

NEW = [
    ("conference", "ck_conference_known_badge_layout", "badge_layout IN ('a4-8up', 'a6')"),
    ("print_job", "ck_print_job_known_layout", "layout IN ('a4-8up', 'a6')"),
    (
        "scan",
        "ck_scan_known_scan_reason",
        "reason IN ('already_inside', 'not_inside', 'revoked', 'not_approved', 'unknown', "
        "'other_conference')",
    ),
]


def upgrade():
    for table, name, condition in NEW:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_check_constraint(op.f(name), sa.text(condition))


def downgrade():
    for table, name, _ in reversed(NEW):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(name), type_="check")
