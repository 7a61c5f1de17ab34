"""Where each table cell is on its page (``table_cell.boxes``), so that a cited cell is shown
highlighted. Nullable: cells stored before have no box until their file is read again.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain add_column: on SQLite, batch mode would copy and drop the table.
    op.add_column("table_cell", sa.Column("boxes", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("table_cell", "boxes")
