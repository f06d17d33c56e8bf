"""Static files travel light (QUALITY.md 36): content-hashed URLs, brotli and gzip, a
year's immutable cache; HTML compressed too; the company logo under a versioned URL that
is cached for good and shown at its own size."""

import gzip
import io
import re

import brotli
import pytest
from flask import Flask, url_for
from PIL import Image

from fieldportal import create_app
from fieldportal.extensions import db
from fieldportal.static_files import build, hashed_name
from tests.helpers import sign_in

ONE_YEAR_IMMUTABLE = "max-age=31536000, public, immutable"
STATIC_URL = re.compile(r'(?:href|src)="(/static/[^"]+)"')


def _source(tmp_path, files: dict[str, str]):
    source = tmp_path / "static"
    for name, text in files.items():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_text(text)
    return source


CSS = "body { color: #222; margin: 0 auto; }\n" * 40


def test_build_writes_hashed_and_compressed_copies(tmp_path):
    source = _source(tmp_path, {"css/site.css": CSS, "img/dot.png": "not really a png"})
    target = tmp_path / "build"

    manifest, written = build(source, target)

    digest = re.fullmatch(r"css/site\.([0-9a-f]{12})\.css", manifest["css/site.css"]).group(1)
    assert manifest["css/site.css"] == hashed_name("css/site.css", CSS.encode())
    assert sorted(written) == ["css/site.css", "img/dot.png"]
    for name in ("css/site.css", f"css/site.{digest}.css"):
        assert (target / name).read_text() == CSS
        assert brotli.decompress((target / f"{name}.br").read_bytes()).decode() == CSS
        assert gzip.decompress((target / f"{name}.gz").read_bytes()).decode() == CSS
    # Images are compressed already: no copies.
    assert (target / manifest["img/dot.png"]).exists()
    assert not list(target.glob("img/*.br")) and not list(target.glob("img/*.gz"))


def test_rebuilding_writes_only_what_changed_and_keeps_old_hashed_files(tmp_path):
    source = _source(tmp_path, {"css/site.css": CSS, "js/app.js": "let a = 1;\n" * 50})
    target = tmp_path / "build"
    first, _ = build(source, target)
    assert build(source, target) == (first, [])

    (source / "css/site.css").write_text(CSS + "p { color: red; }\n")
    second, written = build(source, target)
    assert written == ["css/site.css"]
    assert second["css/site.css"] != first["css/site.css"]
    assert second["js/app.js"] == first["js/app.js"]
    assert (target / first["css/site.css"]).read_text() == CSS  # an open page still finds it
    assert (target / "css/site.css").read_text().endswith("p { color: red; }\n")

    # Back to the first version: its hashed file exists, the plain name is brought back too.
    (source / "css/site.css").write_text(CSS)
    assert build(source, target) == (first, ["css/site.css"])
    assert (target / "css/site.css").read_text() == CSS
    assert brotli.decompress((target / "css/site.css.br").read_bytes()).decode() == CSS


def _page_static_urls(client, path="/login") -> list[str]:
    return STATIC_URL.findall(client.get(path).get_data(as_text=True))


def test_pages_link_hashed_static_urls_served_compressed_and_immutable(app, client):
    urls = _page_static_urls(client)
    assert {re.sub(r"\.[0-9a-f]{12}\.", ".", url) for url in urls} == {
        "/static/img/favicon.svg",
        "/static/css/app.css",
        "/static/vendor/htmx.min.js",
        "/static/js/app.js",
    }
    for url in urls:
        original = (app.static_folder + url.removeprefix("/static")).replace(
            re.search(r"\.[0-9a-f]{12}\.", url).group(0), "."
        )
        with open(original, "rb") as source:
            content = source.read()
        plain = client.get(url, headers={"Accept-Encoding": "identity"})
        assert plain.status_code == 200 and plain.data == content
        assert plain.headers["Cache-Control"] == ONE_YEAR_IMMUTABLE
        assert "Content-Encoding" not in plain.headers
        assert "Accept-Encoding" in plain.headers["Vary"]

        as_brotli = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
        assert as_brotli.headers["Content-Encoding"] == "br"
        assert brotli.decompress(as_brotli.data) == content
        assert len(as_brotli.data) < len(content)

        as_gzip = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert as_gzip.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(as_gzip.data) == content


def test_a_changed_file_gets_a_new_url_and_the_old_url_keeps_working(app, tmp_path, monkeypatch):
    source = _source(tmp_path, {"css/app.css": CSS})
    # Apps made here read their static files from ``source`` instead of static/.
    monkeypatch.setattr(Flask, "static_folder", property(lambda _: str(source), lambda *_: None))
    config = {"TESTING": True, "STATIC_BUILD_FOLDER": str(tmp_path / "build")}
    first = create_app(config).test_client()
    with first.application.test_request_context():
        old_url = url_for("static", filename="css/app.css")

    (source / "css/app.css").write_text(CSS + "h1 { margin: 0; }\n")
    second = create_app(config)
    with second.test_request_context():
        new_url = url_for("static", filename="css/app.css")
    client = second.test_client()

    assert new_url != old_url
    assert client.get(new_url).data.endswith(b"h1 { margin: 0; }\n")
    assert client.get(old_url).data == CSS.encode()
    assert client.get(old_url).headers["Cache-Control"] == ONE_YEAR_IMMUTABLE


def test_unhashed_static_urls_still_work_but_are_cached_briefly(client):
    response = client.get("/static/css/app.css", headers={"Accept-Encoding": "br"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "br"
    assert response.headers["Cache-Control"] == "max-age=60, public"
    assert client.get("/static/css/no-such.css").status_code == 404


def test_debug_mode_serves_static_as_it_is(tmp_path):
    app = create_app({"DEBUG": True, "STATIC_BUILD_FOLDER": str(tmp_path / "build")})
    with app.test_request_context():
        assert url_for("static", filename="css/app.css") == "/static/css/app.css"
    assert not (tmp_path / "build").exists()
    assert app.test_client().get("/static/css/app.css").status_code == 200


def test_flask_static_build_command(app, tmp_path):
    app.config["STATIC_BUILD_FOLDER"] = str(tmp_path / "ahead")
    try:
        result = app.test_cli_runner().invoke(args=["static", "build"])
    finally:
        app.config["STATIC_BUILD_FOLDER"] = str(tmp_path / "unused")
    assert result.exit_code == 0, result.output
    assert re.search(r"\d+ static files in .*ahead; \d+ written now\.", result.output)
    assert list((tmp_path / "ahead" / "css").glob("app.*.css.br"))


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_html_pages_and_fragments_are_compressed(staff_client, encoding):
    decompress = brotli.decompress if encoding == "br" else gzip.decompress
    for headers in ({}, {"HX-Request": "true"}):
        response = staff_client.get("/fleets", headers={"Accept-Encoding": encoding, **headers})
        assert response.status_code == 200
        assert response.headers["Content-Encoding"] == encoding
        assert "Accept-Encoding" in response.headers["Vary"]
        html = decompress(response.data).decode()
        assert "Fleet accounts" in html
        assert ("<html" in html) == (not headers)
    assert "Content-Encoding" not in staff_client.get("/fleets").headers


def _png(size) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", size, "navy").save(output, format="PNG")
    return output.getvalue()


def _upload_logo(staff_client, size) -> str:
    response = staff_client.post(
        "/settings/logo",
        data={"logo": (io.BytesIO(_png(size)), "logo.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    return response


def _portal_logo(client, company) -> re.Match:
    html = client.get(f"/portal/{company.slug}/sign-in").get_data(as_text=True)
    return re.search(
        r'<img src="([^"]+/logo\?v=[0-9a-f]{12})" alt="" width="(\d+)" height="(\d+)"', html
    )


def test_logo_url_is_versioned_cached_for_good_and_changes_with_the_logo(
    app, client, staff_client, company
):
    _upload_logo(staff_client, (200, 100))
    db.session.refresh(company)
    first = _portal_logo(client, company)
    assert first and (first[2], first[3]) == ("72", "36")  # 36 px tall, as wide as it is
    logo = client.get(first[1])
    assert logo.status_code == 200 and logo.mimetype == "image/png"
    assert logo.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    for stale in (f"/portal/{company.slug}/logo", f"/portal/{company.slug}/logo?v=0123456789ab"):
        assert client.get(stale).headers["Cache-Control"] == "public, max-age=60"

    _upload_logo(staff_client, (100, 100))
    db.session.refresh(company)
    second = _portal_logo(client, company)
    assert second[1] != first[1] and (second[2], second[3]) == ("36", "36")
    assert Image.open(io.BytesIO(client.get(second[1]).data)).size == (100, 100)
    # The old URL now answers the new logo, briefly cached.
    assert client.get(first[1]).headers["Cache-Control"] == "public, max-age=60"


def test_a_wide_logo_fits_its_box_and_the_settings_preview_has_its_size(staff_client, company):
    _upload_logo(staff_client, (800, 50))
    db.session.refresh(company)
    html = staff_client.get("/settings").get_data(as_text=True)
    preview = re.search(
        r'<img class="logo-preview" src="([^"]+)"[^>]* width="(\d+)" height="(\d+)"', html
    )
    assert (preview[2], preview[3]) == ("320", "20")
    served = staff_client.get(preview[1])
    assert served.headers["Cache-Control"] == "private, max-age=31536000, immutable"
    contact_page = staff_client.application.test_client()
    assert (_portal_logo(contact_page, company)[2], _portal_logo(contact_page, company)[3]) == (
        "160",
        "10",
    )


def test_a_missing_logo_file_shows_no_image(client, company):
    company.logo_filename = "0123456789abcdef0123456789abcdef.png"
    db.session.flush()
    html = client.get(f"/portal/{company.slug}/sign-in").get_data(as_text=True)
    assert "/logo" not in html


def test_portal_pages_signed_in_show_the_versioned_logo(app, client, staff_client, company, create):
    _upload_logo(staff_client, (120, 60))
    db.session.refresh(company)
    contact = create.contact(create.fleet(company, vehicles=0), email="fleet@acme.test")
    portal = app.test_client()
    sign_in(portal, contact)
    html = portal.get(f"/portal/{company.slug}/").get_data(as_text=True)
    assert f'logo?v={company.logo_version}" alt="" width="72" height="36"' in html
