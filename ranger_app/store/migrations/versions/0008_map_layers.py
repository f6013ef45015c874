"""map layers: registered vector layers (issue 11), and a feeding site's forest quarter

One row per layer; its features are one content-addressed media blob, so a layer travels
in bundles like a photo (docs/sync.md). Feeding sites gain the forest district and quarter
that fire reports already had, filled from the quarter layer.

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa

import ranger_app.store.types


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'map_layer',
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('style', sa.Text(), nullable=False),
        sa.Column('feature_count', sa.Integer(), nullable=False),
        sa.Column('west', sa.Float(), nullable=False),
        sa.Column('south', sa.Float(), nullable=False),
        sa.Column('east', sa.Float(), nullable=False),
        sa.Column('north', sa.Float(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.Column('source_name', sa.String(length=260), nullable=False),
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
    op.create_index('ix_map_layer_sha256', 'map_layer', ['sha256'])
    with op.batch_alter_table('feeding_site') as batch:
        batch.add_column(sa.Column('forest_district', sa.String(length=200), nullable=False,
                                   server_default=''))
        batch.add_column(sa.Column('quarter', sa.String(length=40), nullable=False,
                                   server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('feeding_site') as batch:
        batch.drop_column('quarter')
        batch.drop_column('forest_district')
    op.drop_index('ix_map_layer_sha256', table_name='map_layer')
    op.drop_table('map_layer')
