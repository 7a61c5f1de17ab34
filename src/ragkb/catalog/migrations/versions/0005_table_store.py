"""The table store: tables found at ingest (``doc_table``) and their cells (``table_cell``).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "doc_table",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kb_id", sa.Integer(), sa.ForeignKey("knowledge_base.id", ondelete="CASCADE"), nullable=False),
        sa.Column("file_id", sa.Integer(), sa.ForeignKey("knowledge_file.id", ondelete="CASCADE"), nullable=False),
        sa.Column("page", sa.Integer(), nullable=True),
        sa.Column("page_end", sa.Integer(), nullable=True),
        sa.Column("table_index", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("statement", sa.String(32), nullable=True),
        sa.Column("scope", sa.String(16), nullable=True),
        sa.Column("unit", sa.String(32), nullable=True),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("company", sa.Text(), nullable=True),
        sa.Column("company_short", sa.Text(), nullable=True),
        sa.Column("company_code", sa.String(16), nullable=True),
    )
    op.create_index("ix_doc_table_kb_file", "doc_table", ["kb_id", "file_id"])
    op.create_table(
        "table_cell",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("table_id", sa.Integer(), sa.ForeignKey("doc_table.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kb_id", sa.Integer(), sa.ForeignKey("knowledge_base.id", ondelete="CASCADE"), nullable=False),
        sa.Column("file_id", sa.Integer(), sa.ForeignKey("knowledge_file.id", ondelete="CASCADE"), nullable=False),
        sa.Column("page", sa.Integer(), nullable=True),
        sa.Column("row_index", sa.Integer(), nullable=False),
        sa.Column("column_index", sa.Integer(), nullable=False),
        sa.Column("row_label", sa.Text(), nullable=False),
        sa.Column("metric", sa.String(64), nullable=True),
        sa.Column("column_header", sa.Text(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("period", sa.String(8), nullable=True),
        sa.Column("raw_text", sa.Text(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("unit", sa.String(16), nullable=True),
    )
    op.create_index("ix_table_cell_kb_metric_year", "table_cell", ["kb_id", "metric", "year"])
    op.create_index("ix_table_cell_kb_file", "table_cell", ["kb_id", "file_id"])
    op.create_index("ix_table_cell_table", "table_cell", ["table_id"])


def downgrade() -> None:
    op.drop_table("table_cell")
    op.drop_table("doc_table")
