"""Where each chunk's text is on its pages (``chunk.boxes``) and which pages of a file were read by
OCR (``knowledge_file.ocr_pages``). Both nullable: chunks indexed before have no boxes until their
file is read again.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain add_column: on SQLite, batch mode would copy and drop knowledge_file, which cascades to every chunk.
    op.add_column("chunk", sa.Column("boxes", sa.JSON(), nullable=True))
    op.add_column("knowledge_file", sa.Column("ocr_pages", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("knowledge_file", "ocr_pages")
    op.drop_column("chunk", "boxes")
