"""Backups that restore: the database, the uploaded documents and the instance secret key, in one directory with a
manifest of checksums (`flask backup create DIR`, `flask backup restore DIR`).

- SQLite is copied through SQLite's online backup API, which sees what is still in the write-ahead log (copying the
  file alone loses the commits that are only in the WAL) and reads one consistent snapshot while writers go on.
- PostgreSQL is dumped with `pg_dump --format=custom` (one snapshot) and restored with `pg_restore --clean --if-exists
  --no-owner --single-transaction` (all or nothing). Both come with the postgresql-client package.
- The database is copied first, the uploaded files after: a document's file is written before its transaction
  commits, so every document in the snapshot finds its file. A file of a later booking may come along as an orphan
  (`flask files check --fix` removes those).

`restore` checks everything before it changes anything: every file's size and SHA-256, the kind of database, the
Alembic revision (one the code knows), and that it will not overwrite data unless forced."""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

FORMAT = 1
MANIFEST = "manifest.json"
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
UPLOADS = "uploads"
SECRET_KEY_FILE = "secret_key"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup cannot be made or restored; the message is one line for the operator."""


@dataclass(frozen=True)
class Site:
    """What a backup holds, and where it lives: taken from the app's configuration by the CLI."""

    database_url: str
    upload_folder: Path
    instance_path: Path
    migrations: str  # the Alembic scripts folder


@dataclass(frozen=True)
class FileEntry:
    path: str  # relative to the backup directory, with forward slashes
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    format: int
    created_at: str
    app_version: str
    database_kind: str
    alembic_revision: str | None
    files: list[FileEntry]

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, raw: str) -> "Manifest":
        data = json.loads(raw)
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"not a format {FORMAT} manifest")
        files = [FileEntry(path=str(f["path"]), size=int(f["size"]), sha256=str(f["sha256"])) for f in data["files"]]
        revision = data["alembic_revision"]
        return cls(format=FORMAT, created_at=str(data["created_at"]), app_version=str(data["app_version"]),
                   database_kind=str(data["database_kind"]),
                   alembic_revision=None if revision is None else str(revision), files=files)

    @property
    def database_file(self) -> str:
        return DATABASE_FILES[self.database_kind]


# -- create -------------------------------------------------------------------------------------------------------


def create_backup(target: Path, site: Site, now: datetime) -> Manifest:
    """Write a backup of `site` into `target`, a directory that must not exist yet or be empty. The manifest is
    written last: a directory without one is an unfinished backup, and `restore` refuses it."""
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(f"{target} already exists and is not empty: choose a new directory for each backup")
    made_here = not target.exists()
    target.mkdir(parents=True, exist_ok=True)
    try:
        return write_backup(target, site, now)
    except BaseException:
        # Leave no half-made backup behind: the same command can be run again as it was.
        for path in list(target.iterdir()) if target.is_dir() else []:
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
        if made_here:
            target.rmdir()
        raise


def write_backup(target: Path, site: Site, now: datetime) -> Manifest:
    url = make_url(site.database_url)
    kind = url.get_backend_name()
    database_file = target / DATABASE_FILES[kind]
    if kind == "sqlite":
        copy_sqlite(sqlite_path(url), database_file)
        revision = alembic_revision(make_url(f"sqlite:///{database_file}"))  # the copy's own, so they agree
    else:
        revision = alembic_revision(url)
        run_client(["pg_dump", "--format=custom", "--no-password", f"--file={database_file}"], url)
    entries = [entry_for(target, database_file)]
    if site.upload_folder.is_dir():
        for source in sorted(site.upload_folder.iterdir()):
            if source.is_file() and not source.name.startswith("."):  # dot files are uploads being written
                try:
                    entries.append(copy_in(source, target / UPLOADS / source.name, target))
                except FileNotFoundError:
                    continue  # removed meanwhile by the rollback of the booking it was written for
    secret_key = site.instance_path / SECRET_KEY_FILE
    if secret_key.is_file():
        entries.append(copy_in(secret_key, target / "instance" / SECRET_KEY_FILE, target))
    manifest = Manifest(format=FORMAT, created_at=now.isoformat(), app_version=app_version(), database_kind=kind,
                        alembic_revision=revision, files=entries)
    write_atomically(target / MANIFEST, manifest.to_json().encode())
    return manifest


def copy_sqlite(source: Path, copy: Path) -> None:
    """Copy a live SQLite database, WAL included, as one consistent snapshot, into a standalone file."""
    if not source.is_file():
        raise BackupError(f"no SQLite database at {source}")
    with closing(sqlite3.connect(read_only(source), uri=True)) as live, closing(sqlite3.connect(copy)) as out:
        live.execute("PRAGMA busy_timeout=15000")
        live.backup(out)
        out.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it


def alembic_revision(url: URL) -> str | None:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            heads = MigrationContext.configure(connection).get_current_heads()
    except SQLAlchemyError as error:
        raise BackupError(f"the database does not answer: {first_line(error)}") from error
    finally:
        engine.dispose()
    return ",".join(sorted(heads)) or None


# -- restore ------------------------------------------------------------------------------------------------------


def read_manifest(source: Path) -> Manifest:
    try:
        raw = (source / MANIFEST).read_text(encoding="utf-8")
    except OSError as error:
        raise BackupError(f"no {MANIFEST} in {source}: not a backup, or one that did not finish") from error
    try:
        manifest = Manifest.from_json(raw)
    except (ValueError, KeyError, TypeError) as error:
        raise BackupError(f"{source / MANIFEST} is not a manifest this version can read ({error})") from error
    if manifest.database_kind not in DATABASE_FILES:
        raise BackupError(f"{source / MANIFEST} names an unknown database kind {manifest.database_kind!r}")
    return manifest


def verify_backup(source: Path) -> Manifest:
    """The manifest, once every file it lists is there with its size and SHA-256; nothing is changed."""
    manifest = read_manifest(source)
    listed = {entry.path for entry in manifest.files}
    if manifest.database_file not in listed:
        raise BackupError(f"the manifest in {source} lists no {manifest.database_file}")
    for entry in manifest.files:
        path = inside(source, entry.path)
        if not path.is_file():
            raise BackupError(f"{entry.path} is missing from {source}")
        size, digest = measure(path)
        if size != entry.size or digest != entry.sha256:
            raise BackupError(f"{entry.path} does not match its checksum in the manifest: the backup is damaged "
                              "or was changed; nothing was restored")
    return manifest


def check_restorable(manifest: Manifest, site: Site, force: bool) -> None:
    url = make_url(site.database_url)
    kind = url.get_backend_name()
    if manifest.database_kind != kind:
        raise BackupError(f"this is a backup of a {manifest.database_kind} database and DATABASE_URL is {kind}: "
                          "restore it into the same kind")
    if manifest.alembic_revision is not None:
        known = {script.revision for script in ScriptDirectory(site.migrations).walk_revisions()}
        unknown = [r for r in manifest.alembic_revision.split(",") if r not in known]
        if unknown:
            raise BackupError(f"the backup's schema is at revision {manifest.alembic_revision}, which this version "
                              f"({app_version()}) does not know: restore it with the version that made it "
                              f"({manifest.app_version}) or a newer one")
    if not force:
        holding = table_with_rows(url)
        if holding:
            raise BackupError(f"the database is not empty (table {holding} has rows): restoring replaces everything "
                              "in it; add --force to do so")


def restore_backup(source: Path, site: Site, force: bool = False) -> Manifest:
    """Put the backup in `source` back: the database, the uploaded files and the secret key. Every check is made
    before anything changes. Stop the app's processes first; run `flask db upgrade` after, when the backup's
    revision is older than the code's."""
    manifest = verify_backup(source)
    check_restorable(manifest, site, force)
    database_file = source / manifest.database_file
    url = make_url(site.database_url)
    if manifest.database_kind == "sqlite":
        restore_sqlite(database_file, sqlite_path(url))
    else:
        run_client(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-password", "--single-transaction",
                    "--exit-on-error", str(database_file)], url)
    for entry in manifest.files:
        parts = PurePosixPath(entry.path).parts
        if parts[0] == UPLOADS:
            copy_out(inside(source, entry.path), site.upload_folder / parts[-1])
        elif entry.path == f"instance/{SECRET_KEY_FILE}":
            copy_out(inside(source, entry.path), site.instance_path / SECRET_KEY_FILE, mode=0o600)
    return manifest


def restore_sqlite(copy: Path, live: Path) -> None:
    """Copy the backup into the live database through the backup API: in one transaction, WAL and all, so the
    file is never half-written and connections that open it later see the restored data."""
    live.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(read_only(copy), uri=True)) as saved, closing(sqlite3.connect(live)) as out:
        out.execute("PRAGMA busy_timeout=15000")
        saved.backup(out)


def table_with_rows(url: URL) -> str | None:
    """The first table (of any schema object the app made, Alembic's own aside) that holds a row, or None."""
    if url.get_backend_name() == "sqlite" and not sqlite_path(url).exists():
        return None
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            for table in sorted(inspect(connection).get_table_names()):
                if table == "alembic_version":
                    continue
                quoted = connection.dialect.identifier_preparer.quote(table)
                if connection.execute(text(f"SELECT 1 FROM {quoted} LIMIT 1")).first() is not None:
                    return table
    except SQLAlchemyError as error:
        raise BackupError(f"the database does not answer: {first_line(error)}") from error
    finally:
        engine.dispose()
    return None


# -- helpers ------------------------------------------------------------------------------------------------------


def read_only(path: Path) -> str:
    """An SQLite URI that opens `path` read-only (and never creates it), whatever characters its name has."""
    return f"{path.resolve().as_uri()}?mode=ro"


def sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(url.database)


def libpq_environment(url: URL) -> tuple[str, dict[str, str]]:
    """The libpq form of a SQLAlchemy URL (postgresql+psycopg://... -> postgresql://...), and an environment with
    the password in PGPASSWORD, so that it never shows in the process list."""
    environment = dict(os.environ)
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), environment


def run_client(command: list[str], url: URL) -> None:
    """Run pg_dump or pg_restore against `url`; a failure becomes one line."""
    program = command[0]
    if shutil.which(program) is None:
        raise BackupError(f"{program} is not installed: install PostgreSQL's client tools (postgresql-client)")
    address, environment = libpq_environment(url)
    result = subprocess.run([*command, f"--dbname={address}"], env=environment, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        message = (result.stderr.strip().splitlines() or [f"exit status {result.returncode}"])[0]
        raise BackupError(f"{program} failed: {message}")


def inside(root: Path, relative: str) -> Path:
    """`relative` under `root`; a manifest that points elsewhere (an absolute path, ..) is refused."""
    parts = PurePosixPath(relative).parts
    if not parts or PurePosixPath(relative).is_absolute() or ".." in parts or "\\" in relative:
        raise BackupError(f"the manifest names a file outside the backup: {relative!r}")
    return root.joinpath(*parts)


def measure(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def entry_for(root: Path, path: Path) -> FileEntry:
    size, digest = measure(path)
    return FileEntry(path=path.relative_to(root).as_posix(), size=size, sha256=digest)


def copy_in(source: Path, destination: Path, root: Path) -> FileEntry:
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, destination)
    return entry_for(root, destination)


def copy_out(source: Path, destination: Path, mode: int | None = None) -> None:
    """Put a file in place whole: written beside it, then renamed over it."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(destination) as draft:
        shutil.copyfile(source, draft)
        if mode is not None:
            draft.chmod(mode)


def write_atomically(destination: Path, data: bytes) -> None:
    with atomic_file(destination) as draft:
        draft.write_bytes(data)


@contextmanager
def atomic_file(destination: Path) -> Iterator[Path]:
    handle, name = tempfile.mkstemp(dir=destination.parent, prefix=f".{destination.name}.")
    os.close(handle)
    draft = Path(name)
    try:
        yield draft
        os.replace(draft, destination)
    finally:
        draft.unlink(missing_ok=True)


def app_version() -> str:
    try:
        return metadata.version("opdc-clinic")
    except metadata.PackageNotFoundError:
        return "unknown"


def first_line(error: BaseException) -> str:
    original: Any = getattr(error, "orig", None) or error
    return (str(original).strip().splitlines() or [type(error).__name__])[0]
