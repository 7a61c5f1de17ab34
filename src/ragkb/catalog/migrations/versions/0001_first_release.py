"""The catalog as ragkb 0.1 created it, before migrations existed.

Catalogs made by that release have no ``alembic_version`` table; ragkb stamps them with this
revision and upgrades from here, so the revision itself changes nothing.

Revision ID: 0001
Revises:
"""

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
