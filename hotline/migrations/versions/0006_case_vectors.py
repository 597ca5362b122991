"""Case vectors: each case's e5 vector, stored once (similar cases, routing history, hot topics).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_vector",
        sa.Column("case_id", sa.Integer, sa.ForeignKey("hotline_case.id"), primary_key=True),
        sa.Column("vector", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("case_vector")
