"""Indexes for the analyst dashboard: cases by receiving time and code (trends, code filters)
and by lead unit and receiving time (unit performance, unit filter); ratings by time (the
dashboard joins only the ratings given since a window's start).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_hotline_case_received_code", "hotline_case", ["received_at", "code"])
    op.create_index(
        "ix_hotline_case_unit_received", "hotline_case", ["lead_unit_id", "received_at"]
    )
    op.create_index("ix_rating_at", "rating", ["at"])


def downgrade() -> None:
    op.drop_index("ix_rating_at", table_name="rating")
    op.drop_index("ix_hotline_case_unit_received", table_name="hotline_case")
    op.drop_index("ix_hotline_case_received_code", table_name="hotline_case")
