"""smart mapping: the park's edits of the mapping from our codes to SMART keys

Synced reference data (issue 12); the shipped default lives in resources/smart/.

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa
import ranger_app.store.types


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('smart_mapping',
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('our_code', sa.String(length=120), nullable=False),
    sa.Column('smart_key', sa.String(length=300), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('rev', sa.Integer(), nullable=False),
    sa.Column('hlc', sa.String(length=64), nullable=False),
    sa.Column('created_at', ranger_app.store.types.UtcDateTime(), nullable=True),
    sa.Column('created_by', sa.String(length=36), nullable=False),
    sa.Column('updated_at', ranger_app.store.types.UtcDateTime(), nullable=True),
    sa.Column('updated_by', sa.String(length=36), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('uuid')
    )


def downgrade() -> None:
    op.drop_table('smart_mapping')
