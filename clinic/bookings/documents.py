"""Background documents: the type is decided by the bytes, never by the file name."""

import hashlib
import io
import os
import secrets
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Session

from clinic.errors import DomainError

EXTENSIONS = {"pdf": ".pdf", "docx": ".docx", "xlsx": ".xlsx"}
MIME_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
OOXML_MARKERS = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml"}


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


@dataclass(frozen=True)
class CheckedDocument:
    filename: str
    kind: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def sniff_kind(data: bytes) -> str | None:
    """'pdf', 'docx' or 'xlsx' from the content, or None."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, ValueError, OSError):
            return None
        if "[Content_Types].xml" not in names:
            return None
        for kind, marker in OOXML_MARKERS.items():
            if marker in names:
                return kind
    return None


def check_upload(upload: Upload, max_bytes: int) -> CheckedDocument:
    name = os.path.basename(upload.filename.replace("\\", "/")).strip()[:200]
    if not name:
        raise DomainError(_l("ไฟล์ไม่มีชื่อ"), field="document")
    if len(upload.data) == 0:
        raise DomainError(_l("ไฟล์ว่างเปล่า"), field="document")
    if len(upload.data) > max_bytes:
        raise DomainError(_l("ไฟล์ใหญ่เกิน 10 MB"), field="document")
    kind = sniff_kind(upload.data)
    if kind is None:
        raise DomainError(_l("รับเฉพาะไฟล์ PDF, DOCX หรือ XLSX"), field="document")
    if not name.lower().endswith(EXTENSIONS[kind]):
        raise DomainError(
            _l("เนื้อหาไฟล์ไม่ตรงกับชื่อไฟล์ (เนื้อหาเป็น %(kind)s)", kind=kind.upper()), field="document"
        )
    return CheckedDocument(filename=name, kind=kind, data=upload.data)


def store(document: CheckedDocument, folder: str, session: Session) -> str:
    """Write the bytes under a random name (the original name is kept only in the database). The file follows
    `session`'s transaction: if it rolls back instead of committing, the file is removed again."""
    Path(folder).mkdir(parents=True, exist_ok=True)
    stored_name = secrets.token_hex(16) + EXTENSIONS[document.kind]
    path = Path(folder) / stored_name
    draft = path.with_name(f".{stored_name}.part")
    draft.write_bytes(document.data)
    os.replace(draft, path)  # a file under its real name is always whole
    session.info.setdefault(FILES_WRITTEN, []).append(path)
    return stored_name


FILES_WRITTEN = "clinic.files_written"


@event.listens_for(Session, "after_commit")
def _keep_written_files(session: Session) -> None:
    session.info.pop(FILES_WRITTEN, None)


@event.listens_for(Session, "after_rollback")
def _remove_written_files(session: Session) -> None:
    for path in session.info.pop(FILES_WRITTEN, []):
        path.unlink(missing_ok=True)


@dataclass(frozen=True)
class FilesReport:
    orphans: list[Path]  # on disk, in no document row
    missing: list[str]  # in a document row, not on disk


def check_files(folder: str, stored_names: set[str], written_before: float) -> FilesReport:
    """Compare the upload folder with the documents the database knows. Files newer than `written_before`
    (a POSIX time) are left out of the orphans: their transaction may not have committed yet."""
    root = Path(folder)
    on_disk = {p.name: p for p in root.iterdir() if p.is_file()} if root.is_dir() else {}
    orphans = sorted(
        path for name, path in on_disk.items() if name not in stored_names and path.stat().st_mtime < written_before
    )
    return FilesReport(orphans=orphans, missing=sorted(stored_names - on_disk.keys()))


def read_upload(storage: IO[bytes] | None, filename: str | None, max_bytes: int) -> Upload | None:
    """Read a werkzeug FileStorage without trusting its size; None when no file was chosen."""
    if storage is None or not filename:
        return None
    data = storage.read(max_bytes + 1)
    return Upload(filename=filename, data=data)
