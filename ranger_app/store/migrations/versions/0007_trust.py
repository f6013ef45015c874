"""trust: held approvals, inspector key certificates, anchored chain heads (issue 13)

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa
import ranger_app.store.types


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'sync_held_change',
        sa.Column('device', sa.String(length=36), nullable=False),
        sa.Column('epoch', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('entity', sa.String(length=40), nullable=False),
        sa.Column('entity_uuid', sa.String(length=36), nullable=False),
        sa.Column('new_rev', sa.Integer(), nullable=False),
        sa.Column('patrol_uuid', sa.String(length=36), nullable=False),
        sa.Column('patrol_number', sa.String(length=64), nullable=False),
        sa.Column('review_uuid', sa.String(length=36), nullable=False),
        sa.Column('person_uuid', sa.String(length=36), nullable=False),
        sa.Column('person_name', sa.String(length=200), nullable=False),
        sa.Column('key_fpr', sa.String(length=24), nullable=False),
        sa.Column('reason', sa.String(length=24), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('held_at', ranger_app.store.types.UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint('device', 'epoch', 'seq'))
    with op.batch_alter_table('sync_held_change') as batch_op:
        batch_op.create_index(batch_op.f('ix_sync_held_change_patrol_uuid'), ['patrol_uuid'],
                              unique=False)
    op.create_table(
        'sync_key_certificate',
        sa.Column('cert_id', sa.String(length=36), nullable=False),
        sa.Column('person_uuid', sa.String(length=36), nullable=False),
        sa.Column('person_name', sa.String(length=200), nullable=False),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('public_key', sa.String(length=64), nullable=False),
        sa.Column('key_fpr', sa.String(length=24), nullable=False),
        sa.Column('valid_from', ranger_app.store.types.UtcDateTime(), nullable=True),
        sa.Column('valid_to', ranger_app.store.types.UtcDateTime(), nullable=True),
        sa.Column('issuer_fpr', sa.String(length=24), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('signature', sa.Text(), nullable=False),
        sa.Column('revoked_at', ranger_app.store.types.UtcDateTime(), nullable=True),
        sa.Column('revocation', sa.Text(), nullable=False),
        sa.Column('revocation_sig', sa.Text(), nullable=False),
        sa.Column('received_at', ranger_app.store.types.UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint('cert_id'))
    with op.batch_alter_table('sync_key_certificate') as batch_op:
        batch_op.create_index(batch_op.f('ix_sync_key_certificate_person_uuid'),
                              ['person_uuid'], unique=False)
        batch_op.create_index(batch_op.f('ix_sync_key_certificate_key_fpr'), ['key_fpr'],
                              unique=False)
    op.create_table(
        'sync_anchor',
        sa.Column('device', sa.String(length=36), nullable=False),
        sa.Column('epoch', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('chain_hash', sa.String(length=64), nullable=False),
        sa.Column('hlc', sa.String(length=64), nullable=False),
        sa.Column('signature', sa.Text(), nullable=False),
        sa.Column('key_fpr', sa.String(length=24), nullable=False),
        sa.Column('recorded_at', ranger_app.store.types.UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint('device', 'epoch', 'seq'))


def downgrade() -> None:
    op.drop_table('sync_anchor')
    with op.batch_alter_table('sync_key_certificate') as batch_op:
        batch_op.drop_index(batch_op.f('ix_sync_key_certificate_key_fpr'))
        batch_op.drop_index(batch_op.f('ix_sync_key_certificate_person_uuid'))
    op.drop_table('sync_key_certificate')
    with op.batch_alter_table('sync_held_change') as batch_op:
        batch_op.drop_index(batch_op.f('ix_sync_held_change_patrol_uuid'))
    op.drop_table('sync_held_change')
