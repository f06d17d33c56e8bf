"""Static files as browsers should get them: under names that carry a hash of their
content (css/app.1a2b3c4d5e6f.css), compressed with brotli and gzip, cached for a year as
immutable, served by WhiteNoise before the request reaches Flask.

``build`` copies static/ into STATIC_BUILD_FOLDER (instance/static by default) under the
hashed names and their own, with the compressed copies; ``url_for('static', filename=…)``
then gives the hashed URL. The app builds at start, which writes only what changed, so
``make run``, gunicorn and the tests need no extra step; ``flask static build`` does the
same ahead of time (for an app folder that is read-only when it runs). In debug mode the
files are served as they are from static/, so an edited stylesheet shows on reload.
"""

import hashlib
import os
import re
import tempfile
from pathlib import Path

import click
from flask import Flask, Response, current_app
from flask.cli import AppGroup
from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

from .web import SECURITY_HEADERS, STRICT_TRANSPORT_SECURITY

HASH_LENGTH = 12
HASHED_NAME = re.compile(rf"\.(?P<digest>[0-9a-f]{{{HASH_LENGTH}}})(\.[^.]+)?$")
ONE_YEAR = 365 * 24 * 60 * 60
# Un-hashed names still work (an old page, a bookmarked file) but are cached only briefly.
UNHASHED_MAX_AGE = 60


def _digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()[:HASH_LENGTH]


def hashed_name(relative: str, content: bytes) -> str:
    """``css/app.css`` → ``css/app.<first 12 hex digits of its SHA-256>.css``."""
    stem, dot, extension = relative.rpartition(".")
    return f"{stem}.{_digest(content)}.{extension}" if dot else f"{relative}.{_digest(content)}"


def is_hashed_copy(path: str) -> bool:
    """Whether the file's name carries the hash of its content (this release's or an
    earlier one's), so that it can never change."""
    digest = HASHED_NAME.search(os.path.basename(path))
    return digest is not None and digest["digest"] == _digest(Path(path).read_bytes())


def _write_atomically(path: Path, content: bytes) -> None:
    """Several workers may build at once: each file appears whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".building-")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _compressed_copies(path: Path, content: bytes, compressor: Compressor) -> dict[str, bytes]:
    """The .br and .gz copies worth keeping (WhiteNoise's rules: not for images and fonts,
    and only when at least 5 % smaller)."""
    if not compressor.should_compress(path.name):
        return {}
    copies = {}
    for suffix, compress, name in (
        (".br", compressor.compress_brotli, "Brotli"),
        (".gz", compressor.compress_gzip, "Gzip"),
    ):
        data = compress(content)
        if compressor.is_compressed_effectively(name, str(path), len(content), data):
            copies[suffix] = data
    return copies


def _publish(target: Path, relative: str, content: bytes, compressor: Compressor) -> bool:
    """Write one file under its hashed name and its own name, each with its compressed
    copies, where that name does not hold this content yet. Returns whether anything was
    written."""
    stale = [
        path
        for path in (target / hashed_name(relative, content), target / relative)
        if not path.is_file() or path.read_bytes() != content
    ]
    copies = _compressed_copies(stale[0], content, compressor) if stale else {}
    for path in stale:
        for suffix in (".br", ".gz"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
        for suffix, data in copies.items():
            _write_atomically(path.with_name(path.name + suffix), data)
        # The file itself last: once it holds this content, its copies are complete.
        _write_atomically(path, content)
    return bool(stale)


def build(source: Path, target: Path) -> tuple[dict[str, str], list[str]]:
    """Build ``target`` from the files under ``source``; returns the manifest (each file's
    name → its hashed name) and the files written this time (none when nothing changed).
    Earlier hashed files are kept, so pages still open in a browser find theirs."""
    compressor = Compressor(quiet=True)
    manifest, written = {}, []
    for path in sorted(source.rglob("*")):
        if not path.is_file():
            continue
        relative = path.relative_to(source).as_posix()
        content = path.read_bytes()
        manifest[relative] = hashed_name(relative, content)
        if _publish(target, relative, content, compressor):
            written.append(relative)
    return manifest, written


class StaticFiles(WhiteNoise):
    """WhiteNoise with a one-year lifetime for hashed files, the security headers of every
    response (web.py), and HSTS when the request came over HTTPS."""

    FOREVER = ONE_YEAR

    def __init__(self, application, root: Path):
        super().__init__(
            application,
            root=str(root),
            prefix="/static/",
            max_age=UNHASHED_MAX_AGE,
            immutable_file_test=lambda path, url: is_hashed_copy(path),
            add_headers_function=self._add_security_headers,
        )

    def _add_security_headers(self, headers, path: str, url: str) -> None:
        for name, value in SECURITY_HEADERS.items():
            headers[name] = value

    def serve(self, static_file, environ, start_response):
        if environ.get("wsgi.url_scheme") != "https":
            return super().serve(static_file, environ, start_response)

        def start_with_hsts(status, headers, exc_info=None):
            headers = [*headers, ("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)]
            return start_response(status, headers, exc_info)

        return super().serve(static_file, environ, start_with_hsts)


def cache_for_good(response: Response, *, private: bool = False) -> Response:
    """For a response at a URL whose content never changes (it carries a version)."""
    audience = "private" if private else "public"
    response.headers["Cache-Control"] = f"{audience}, max-age={ONE_YEAR}, immutable"
    return response


def build_folder(app: Flask) -> Path:
    return Path(app.config["STATIC_BUILD_FOLDER"])


static_group = AppGroup("static", help="Static files for production.")


@static_group.command("build")
def static_build_command() -> None:
    """Write hashed, compressed copies of static/ into STATIC_BUILD_FOLDER."""
    target = build_folder(current_app)
    manifest, written = build(Path(current_app.static_folder), target)
    click.echo(f"{len(manifest)} static files in {target}; {len(written)} written now.")


def init_app(app: Flask) -> None:
    app.cli.add_command(static_group)
    if app.debug:
        return
    target = build_folder(app)
    manifest, _ = build(Path(app.static_folder), target)
    app.wsgi_app = StaticFiles(app.wsgi_app, target)

    @app.url_defaults
    def hashed_static_url(endpoint: str, values: dict) -> None:
        if endpoint == "static" and values.get("filename") in manifest:
            values["filename"] = manifest[values["filename"]]
