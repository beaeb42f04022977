"""Every row of the database as plain data: to assert that a refused request wrote nothing, and to put back what
an accepted one changed, so that tests sharing one scenario start each request from the same rows."""

from sqlalchemy import and_

from clinic.extensions import db

Rows = dict[str, dict[tuple, tuple]]


def snapshot() -> Rows:
    """Each table's rows by primary key (a few dozen rows: the scenarios that use this are small)."""
    rows: Rows = {}
    for table in db.metadata.sorted_tables:
        keys = [column.name for column in table.primary_key.columns]
        rows[table.name] = {
            tuple(row[k] for k in keys): tuple(row.values())
            for row in db.session.execute(table.select()).mappings()
        }
    db.session.rollback()
    return rows


def differences(before: Rows, after: Rows) -> list[str]:
    """What changed, table by table: '+bookings(7)' added, '-...' removed, '~...' changed."""
    found = []
    for name, old in before.items():
        new = after[name]
        found += [f"+{name}{key}" for key in new.keys() - old.keys()]
        found += [f"-{name}{key}" for key in old.keys() - new.keys()]
        found += [f"~{name}{key}" for key in old.keys() & new.keys() if old[key] != new[key]]
    return found


def restore(baseline: Rows) -> None:
    """Put the database back to `baseline`: remove new rows (children first), then restore changed and removed ones."""
    current = snapshot()
    tables = db.metadata.sorted_tables
    for table in reversed(tables):
        keys = [column for column in table.primary_key.columns]
        for key in current[table.name].keys() - baseline[table.name].keys():
            db.session.execute(table.delete().where(and_(*(c == v for c, v in zip(keys, key, strict=True)))))
    for table in tables:
        keys = [column for column in table.primary_key.columns]
        names = [column.name for column in table.columns]
        for key, row in baseline[table.name].items():
            values = dict(zip(names, row, strict=True))
            if key not in current[table.name]:
                db.session.execute(table.insert().values(values))
            elif current[table.name][key] != row:
                db.session.execute(
                    table.update().where(and_(*(c == v for c, v in zip(keys, key, strict=True)))).values(values)
                )
    db.session.commit()
