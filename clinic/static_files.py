"""Static files with a content hash in their URLs and far-future cache headers, with no build step.

`url_for('static', filename='css/app.css')` becomes `/static/css/app.css?v=<first 12 hex of its SHA-256>`: a changed
file gets a new URL, so a browser may keep each version for a year ("immutable"). A request without the current
hash (an old page, a hand-typed URL) is still served, but only cached briefly and revalidated."""

import hashlib
from functools import cache
from pathlib import Path
from typing import Any

from flask import Flask, request
from werkzeug.wrappers import Response

FAR_FUTURE = "public, max-age=31536000, immutable"
REVALIDATE = "public, max-age=300, must-revalidate"


@cache
def _digest(path: str, mtime_ns: int, size: int) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 16), b""):
            sha.update(block)
    return sha.hexdigest()[:12]


def content_hash(static_folder: str, filename: str) -> str | None:
    """The file's hash, recomputed only when its size or modification time changes; None if it is not a file."""
    root = Path(static_folder).resolve()
    path = (root / filename).resolve()
    if root not in path.parents:
        return None
    try:
        stat = path.stat()
    except OSError:
        return None
    return _digest(str(path), stat.st_mtime_ns, stat.st_size) if path.is_file() else None


def init_app(app: Flask) -> None:
    static_folder = str(app.static_folder)

    @app.url_defaults
    def add_content_hash(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and "filename" in values and "v" not in values:
            digest = content_hash(static_folder, values["filename"])
            if digest:
                values["v"] = digest

    @app.after_request
    def cache_static(response: Response) -> Response:
        if request.endpoint == "static" and response.status_code in (200, 304):
            filename = (request.view_args or {}).get("filename", "")
            current = content_hash(static_folder, filename)
            fresh = current is not None and request.args.get("v") == current
            response.headers["Cache-Control"] = FAR_FUTURE if fresh else REVALIDATE
            if fresh:
                response.expires = None
        return response
