"""users choose their language

Every existing user gets 'th' (the server default), the language the interface and the e-mails spoke until now.

On SQLite the column is added with ALTER TABLE, its CHECK inline, rather than by batch mode's copy of the table:
dropping and renaming `users` while foreign keys are on would cascade into `advisor_topics` and trip the
other tables' references to it.

Revision ID: 704908dc1a38
Revises: 53bb23e89dfb
Create Date: 2026-11-26 14:13:29.431383

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '704908dc1a38'
down_revision = '53bb23e89dfb'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE users ADD COLUMN language VARCHAR(5) DEFAULT 'th' NOT NULL "
            "CONSTRAINT ck_users_language_known CHECK (language IN ('th', 'en'))"
        )
        return
    op.add_column('users', sa.Column('language', sa.String(length=5), server_default='th', nullable=False))
    op.create_check_constraint(op.f('ck_users_language_known'), 'users', "language IN ('th', 'en')")


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE users DROP COLUMN language")  # SQLite 3.35 or newer; the inline CHECK goes with it
        return
    op.drop_constraint(op.f('ck_users_language_known'), 'users', type_='check')
    op.drop_column('users', 'language')
