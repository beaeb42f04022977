"""Background documents: the type is decided by the bytes, never by the file name."""

import hashlib
import io
import os
import secrets
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask_babel import lazy_gettext as _l

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


def store(document: CheckedDocument, folder: str) -> str:
    """Write the bytes under a random name; the original name is kept only in the database."""
    Path(folder).mkdir(parents=True, exist_ok=True)
    stored_name = secrets.token_hex(16) + EXTENSIONS[document.kind]
    (Path(folder) / stored_name).write_bytes(document.data)
    return stored_name


def read_upload(storage: BinaryIO | None, filename: str | None, max_bytes: int) -> Upload | None:
    """Read a werkzeug FileStorage without trusting its size; None when no file was chosen."""
    if storage is None or not filename:
        return None
    data = storage.read(max_bytes + 1)
    return Upload(filename=filename, data=data)
