"""A document chosen on a form that then came back with errors is held on the server for a short time, so that
the person does not have to choose it again: the form carries only a random token, shown as the file's name with
a way to remove it. A held file belongs to the user who sent it; others' tokens find nothing."""

import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from clinic.bookings.documents import CheckedDocument, Upload, check_upload

HOLD_SECONDS = 60 * 60  # long enough to correct a form, short enough not to keep strangers' files
HELD_SUFFIX = "-held"  # beside the upload folder (same disk, shared the same way), never inside it
TOKEN_BYTES = 24


@dataclass(frozen=True)
class HeldFile:
    token: str
    filename: str

    def upload(self, folder: str, user_id: int) -> Upload | None:
        path = _path(folder, user_id, self.token)
        try:
            return Upload(filename=self.filename, data=path.read_bytes())
        except OSError:
            return None


def _root(folder: str) -> Path:
    """uploads/ -> uploads-held/: the upload folder holds only the documents of bookings (backups and
    `flask doctor` compare it with the database)."""
    path = Path(folder)
    return path.with_name(path.name + HELD_SUFFIX)


def _path(folder: str, user_id: int, token: str) -> Path:
    return _root(folder) / f"{int(user_id)}-{token}"


def _valid_token(token: str | None) -> bool:
    return bool(token) and len(token or "") <= 64 and all(c.isalnum() or c in "-_" for c in token or "")


def hold(document: CheckedDocument, folder: str, user_id: int, now: float | None = None) -> HeldFile:
    """Keep a checked document for HOLD_SECONDS; older held files are swept away on the way."""
    sweep(folder, now)
    root = _root(folder)
    root.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    path = _path(folder, user_id, token)
    part = path.with_name(f".{path.name}.part")
    part.write_bytes(document.data)
    os.replace(part, path)
    path.with_suffix(".json").write_text(json.dumps({"filename": document.filename}), encoding="utf-8")
    return HeldFile(token=token, filename=document.filename)


def find(token: str | None, folder: str, user_id: int, now: float | None = None) -> HeldFile | None:
    """The user's held file of that token, if it is still there and not too old."""
    if not _valid_token(token):
        return None
    path = _path(folder, user_id, str(token))
    try:
        if (now or time.time()) - path.stat().st_mtime > HOLD_SECONDS:
            return None
        meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return HeldFile(token=str(token), filename=str(meta.get("filename", "")))


def release(token: str | None, folder: str, user_id: int) -> None:
    if _valid_token(token):
        path = _path(folder, user_id, str(token))
        path.unlink(missing_ok=True)
        path.with_suffix(".json").unlink(missing_ok=True)


def sweep(folder: str, now: float | None = None) -> None:
    root = _root(folder)
    if not root.is_dir():
        return
    limit = (now or time.time()) - HOLD_SECONDS
    for path in root.iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
        except OSError:
            continue


def check_and_hold(upload: Upload, folder: str, user_id: int, max_bytes: int) -> HeldFile:
    """Check a new upload (raises DomainError on the `document` field) and hold it."""
    return hold(check_upload(upload, max_bytes), folder, user_id)
