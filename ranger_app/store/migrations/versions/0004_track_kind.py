"""track kind: walked track or planned route

A GPX `<rte>` is the plan of a patrol, not where it went: it is kept (and drawn dashed) but
never counted as distance or effort. Existing tracks are walked tracks.

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('track') as batch:
        batch.add_column(sa.Column('kind', sa.String(length=8), nullable=False,
                                   server_default='track'))


def downgrade() -> None:
    with op.batch_alter_table('track') as batch:
        batch.drop_column('kind')
