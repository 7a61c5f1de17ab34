"""What a chat message's answer showed besides its text: the question's analysis, the route that
answered it, the formulas computed with their operands and the SQL a model wrote (``chat_message``
``analysis``, ``route``, ``computations``, ``sql``), and whether the user stopped it (``stopped``).
Messages stored before have none of these, and were never stopped. Sessions without a message, which
ragkb made before a first turn was stored (a chat stopped or failed at once, ``ragkb chat`` left
without a question), are deleted: a session now exists from its first turn on. Downgrading does not
bring them back.

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
    op.execute(
        "DELETE FROM chat_session WHERE NOT EXISTS (SELECT 1 FROM chat_message WHERE chat_message.session_id = chat_session.id)"
    )


def downgrade() -> None:
    for column in ("stopped", "sql", "computations", "analysis", "route"):
        op.drop_column("chat_message", column)
