"""What a chat message's answer showed besides its text: the question's analysis, the route that
answered it, the formulas computed with their operands and the SQL a model wrote (``chat_message``
``analysis``, ``route``, ``computations``, ``sql``), and whether the user stopped it (``stopped``).
Messages stored before have none of these, and were never stopped.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("chat_message", sa.Column("route", sa.String(20), nullable=True))
    op.add_column("chat_message", sa.Column("analysis", sa.JSON(), nullable=True))
    op.add_column("chat_message", sa.Column("computations", sa.JSON(), nullable=True))
    op.add_column("chat_message", sa.Column("sql", sa.Text(), nullable=True))
    op.add_column("chat_message", sa.Column("stopped", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    for column in ("stopped", "sql", "computations", "analysis", "route"):
        op.drop_column("chat_message", column)
