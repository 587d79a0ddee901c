"""imports

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 17:52:06.615135
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import closeloop.db.base

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "imports",
        sa.Column("id", ID, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=True),
        sa.Column("stored_path", sa.String(length=500), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("options", JSON, nullable=False),
        sa.Column("columns", JSON, nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_line", sa.Integer(), nullable=False),
        sa.Column("bytes_read", sa.BigInteger(), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("rows_imported", sa.Integer(), nullable=False),
        sa.Column("rows_rejected", sa.Integer(), nullable=False),
        sa.Column("notes", JSON, nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", closeloop.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", closeloop.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", closeloop.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", closeloop.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imports")),
    )
    op.create_index("ix_imports_state", "imports", ["state"], unique=False)
    op.create_table(
        "import_rejections",
        sa.Column("id", ID, nullable=False),
        sa.Column("import_id", ID, nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("record", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["imports.id"],
            name=op.f("fk_import_rejections_import_id_imports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_rejections")),
    )
    op.create_index(
        "ix_import_rejections_import_line", "import_rejections", ["import_id", "line"], unique=False
    )
    # a plain ADD COLUMN and a unique index: no table rebuild on SQLite
    op.add_column("responses", sa.Column("external_id", sa.String(length=255), nullable=True))
    op.create_index(
        "ux_responses_survey_external_id", "responses", ["survey_id", "external_id"], unique=True
    )


def downgrade() -> None:
    op.drop_index("ux_responses_survey_external_id", table_name="responses")
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_column("external_id")
    op.drop_index("ix_import_rejections_import_line", table_name="import_rejections")
    op.drop_table("import_rejections")
    op.drop_index("ix_imports_state", table_name="imports")
    op.drop_table("imports")
