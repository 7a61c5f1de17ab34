"""The deletion log the embedded store's HNSW graph replays (``chunk_vector_deleted``).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("chunk_vector_deleted"):
        return  # made by a development build that created it outside migrations
    op.create_table(
        "chunk_vector_deleted",
        sa.Column("seq", sa.Integer(), primary_key=True),
        sa.Column("kb_id", sa.Integer(), nullable=False),
        sa.Column("chunk_id", sa.Integer(), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_chunk_vector_deleted_kb_seq", "chunk_vector_deleted", ["kb_id", "seq"])


def downgrade() -> None:
    op.drop_table("chunk_vector_deleted")
