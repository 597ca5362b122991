"""The department directory in the database, cases, their audit log, ratings and rectification.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_APPEND_ONLY = "the case audit log is append-only"


def _when(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime())


def upgrade() -> None:
    op.create_table(
        "unit",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("region", sa.String(64), nullable=False),
        sa.Column("parent_id", sa.String(32)),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "hotline_case",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("number", sa.String(20), unique=True),
        sa.Column("access_code_hash", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("caller_name", sa.String(64), nullable=False),
        sa.Column("caller_phone", sa.String(32), nullable=False),
        sa.Column("consent", sa.Boolean(), nullable=False),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("appeal_type", sa.String(16), nullable=False),
        sa.Column("urgency", sa.String(16), nullable=False),
        sa.Column("complex_case", sa.Boolean(), nullable=False),
        sa.Column("place", sa.String(64), nullable=False),
        sa.Column("state", sa.String(24), nullable=False, index=True),
        sa.Column("lead_unit_id", sa.String(32), sa.ForeignKey("unit.id"), index=True),
        sa.Column("assisting_unit_ids", sa.Text(), nullable=False),
        sa.Column("route_reason", sa.Text(), nullable=False),
        sa.Column("reply", sa.Text(), nullable=False),
        sa.Column("master_id", sa.Integer(), sa.ForeignKey("hotline_case.id"), index=True),
        sa.Column("received_at", sa.DateTime(), nullable=False, index=True),
        _when("dispatched_at"),
        _when("return_by"),
        sa.Column("due_at", sa.DateTime(), index=True),
        sa.Column("due_rule", sa.String(64), nullable=False),
        _when("remind_at"),
        _when("reminded_at"),
        _when("escalated_at"),
        _when("replied_at"),
        _when("closed_at"),
        sa.Column("extension_days", sa.Integer(), nullable=False),
        sa.Column("extension_asked", sa.Integer(), nullable=False),
        sa.Column("returns", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_table(
        "case_event",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("hotline_case.id"), index=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("from_state", sa.String(24), nullable=False),
        sa.Column("to_state", sa.String(24), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
    )
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("hotline_case.id"), index=True),
        sa.Column("audience", sa.String(16), nullable=False),
        sa.Column("unit_id", sa.String(32)),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _when("sent_at"),
    )
    op.create_table(
        "rating",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("hotline_case.id"), index=True),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.String(32), index=True),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("voided", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("case_id", "round"),
    )
    op.create_table(
        "rectification",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("hotline_case.id"), index=True),
        sa.Column("rating_id", sa.Integer(), sa.ForeignKey("rating.id"), unique=True),
        sa.Column("unit_id", sa.String(32), index=True),
        sa.Column("state", sa.String(16), nullable=False, index=True),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        _when("due_at"),
        sa.Column("dispute_from", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_table(
        "timer_lease",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("holder", sa.String(64), nullable=False),
        sa.Column("until", sa.DateTime(), nullable=False),
    )
    op.execute("INSERT INTO timer_lease (name, holder, until) VALUES ('timers', '', '2000-01-01')")
    # The audit log can only grow: the database itself refuses updates and deletes.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION case_event_append_only() RETURNS trigger AS $$ BEGIN "
            f"RAISE EXCEPTION '{_APPEND_ONLY}'; END; $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER case_event_append_only BEFORE UPDATE OR DELETE ON case_event "
            "FOR EACH ROW EXECUTE FUNCTION case_event_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER case_event_no_{verb.lower()} BEFORE {verb} ON case_event "
                f"BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER case_event_append_only ON case_event")
        op.execute("DROP FUNCTION case_event_append_only()")
    for table in ("timer_lease", "rectification", "rating", "notification", "case_event",
                  "hotline_case", "unit"):  # fmt: skip
        op.drop_table(table)
