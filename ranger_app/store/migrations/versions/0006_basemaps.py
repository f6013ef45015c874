"""basemaps: registered offline tile archives (MBTiles, PMTiles)

One row per archive; the file itself is a content-addressed media blob, so it travels in
bundles like a photo (docs/sync.md).

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa

import ranger_app.store.types


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'basemap',
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.Column('tile_format', sa.String(length=8), nullable=False),
        sa.Column('min_zoom', sa.Integer(), nullable=False),
        sa.Column('max_zoom', sa.Integer(), nullable=False),
        sa.Column('west', sa.Float(), nullable=False),
        sa.Column('south', sa.Float(), nullable=False),
        sa.Column('east', sa.Float(), nullable=False),
        sa.Column('north', sa.Float(), nullable=False),
        sa.Column('uuid', sa.String(length=36), nullable=False),
        sa.Column('rev', sa.Integer(), nullable=False),
        sa.Column('hlc', sa.String(length=64), nullable=False),
        sa.Column('created_at', ranger_app.store.types.UtcDateTime(), nullable=True),
        sa.Column('created_by', sa.String(length=36), nullable=False),
        sa.Column('updated_at', ranger_app.store.types.UtcDateTime(), nullable=True),
        sa.Column('updated_by', sa.String(length=36), nullable=False),
        sa.Column('deleted', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('uuid'),
    )
    op.create_index('ix_basemap_sha256', 'basemap', ['sha256'])


def downgrade() -> None:
    op.drop_index('ix_basemap_sha256', table_name='basemap')
    op.drop_table('basemap')
