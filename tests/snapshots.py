"""Every row of the database as plain data: to assert that a refused request wrote nothing, and to put back what
an accepted one changed, so that tests sharing one scenario start each request from the same rows."""

from dataclasses import dataclass

from sqlalchemy import and_, text

from clinic.extensions import db

Rows = dict[str, dict[tuple, tuple]]


@dataclass(frozen=True)
class Baseline:
    rows: Rows
    mark: object


def take() -> Baseline:
    return Baseline(snapshot(), mark())


def mark() -> object:
    """A cheap summary of every row: equal marks, equal rows. On PostgreSQL one round trip (a digest of each
    table's rows as text) instead of a query per table; SQLite answers in process, so there it is the rows."""
    if db.engine.dialect.name != "postgresql":
        return snapshot()
    digests = " || ".join(
        f"(SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM \"{table.name}\" t)"
        for table in db.metadata.sorted_tables
    )
    value = db.session.scalar(text(f"SELECT {digests}"))
    db.session.rollback()
    return value


def changes(baseline: Baseline) -> list[str]:
    """What changed since `baseline` (see `differences`); nothing, cheaply, when nothing did."""
    if mark() == baseline.mark:
        return []
    return differences(baseline.rows, snapshot())


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


def restore(baseline: Baseline) -> None:
    """Put the database back to `baseline`: remove new rows (children first), then restore changed and removed ones."""
    current, rows = snapshot(), baseline.rows
    tables = db.metadata.sorted_tables
    for table in reversed(tables):
        keys = [column for column in table.primary_key.columns]
        for key in current[table.name].keys() - rows[table.name].keys():
            db.session.execute(table.delete().where(and_(*(c == v for c, v in zip(keys, key, strict=True)))))
    for table in tables:
        keys = [column for column in table.primary_key.columns]
        names = [column.name for column in table.columns]
        for key, row in rows[table.name].items():
            values = dict(zip(names, row, strict=True))
            if key not in current[table.name]:
                db.session.execute(table.insert().values(values))
            elif current[table.name][key] != row:
                db.session.execute(
                    table.update().where(and_(*(c == v for c, v in zip(keys, key, strict=True)))).values(values)
                )
    db.session.commit()
    assert mark() == baseline.mark, "the rows could not be put back"
