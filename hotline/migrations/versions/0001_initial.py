"""Installation facts and the department kinds.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "app_meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )
    op.create_table(
        "department_kind",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("typical_city_unit", sa.String(128), nullable=False),
        sa.Column("typical_topics", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("department_kind")
    op.drop_table("app_meta")
