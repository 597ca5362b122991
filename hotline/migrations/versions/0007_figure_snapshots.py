"""Figure snapshots: the dashboard's long windows (近90天, 近一年), computed by the timers.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "figure_snapshot",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("as_of", sa.DateTime, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("figure_snapshot")
