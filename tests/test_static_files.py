"""Static files carry a content hash in their URLs and far-future cache headers; Thai text is never broken mid-word
by the app's styles."""

import re
from pathlib import Path

from clinic.static_files import FAR_FUTURE, content_hash

ROOT = Path(__file__).resolve().parent.parent


def test_static_urls_carry_the_content_hash_and_are_cached_for_a_year(client):
    page = client.get("/login").get_data(as_text=True)
    urls = re.findall(r'(?:href|src)="(/static/[^"]+)"', page)
    assert {u.split("?")[0] for u in urls} >= {"/static/css/app.css", "/static/js/app.js",
                                              "/static/vendor/bootstrap/bootstrap.min.css"}
    for url in urls:
        assert re.search(r"\?v=[0-9a-f]{12}$", url), url
        response = client.get(url)
        assert response.status_code == 200 and response.headers["Cache-Control"] == FAR_FUTURE, url
        response.close()
    stale = client.get("/static/css/app.css?v=000000000000")
    assert "immutable" not in stale.headers["Cache-Control"]
    stale.close()


def test_pages_themselves_are_never_cached(client):
    assert client.get("/login").headers["Cache-Control"] == "no-store"


def test_the_hash_follows_the_content(tmp_path):
    (tmp_path / "a.css").write_text("body { color: #000 }")
    first = content_hash(str(tmp_path), "a.css")
    (tmp_path / "a.css").write_text("body { color: #111; }")
    assert content_hash(str(tmp_path), "a.css") != first
    assert content_hash(str(tmp_path), "../etc/passwd") is None and content_hash(str(tmp_path), "none.css") is None


def test_no_style_of_ours_breaks_thai_words_mid_word():
    css = (ROOT / "static" / "css" / "app.css").read_text(encoding="utf-8")
    rules = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    assert "break-all" not in rules and "anywhere" not in rules
