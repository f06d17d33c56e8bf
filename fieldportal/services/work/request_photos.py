"""Photos attached to service requests: checked, decoded, re-encoded and stored safely.

An upload is trusted for nothing: services.images.decode_image decides what it is from the
bytes (not the file name or the browser's content type), refuses huge pixel counts before
decoding and truncated or corrupt files whatever was imported before, and what we store
is our own re-encoding (no EXIF, no GPS position, no trailing payload) under a random
name. How large a photo may be is the request body limit's business (MAX_CONTENT_LENGTH):
the portal form shrinks phone photos in the browser so that four of them fit.
"""

import io
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from PIL import Image, ImageOps
from sqlalchemy.orm import Session

from ...extensions import db
from ...models import RequestPhoto, ServiceRequest
from .. import transaction_state
from ..images import DamagedImage, NotAnImage, TooManyPixels, decode_image

MEGABYTE = 1024 * 1024
# 40 megapixels is more than any phone camera; larger is refused before decoding.
MAX_PHOTO_PIXELS = 40_000_000
# Stored photos are scaled down to this longest side; thumbnails to the smaller one.
STORED_LONGEST_SIDE = 2560
THUMB_LONGEST_SIDE = 320

# Pillow format → (content type, file extension, save options)
ALLOWED_FORMATS = {
    "JPEG": ("image/jpeg", "jpg", {"quality": 85, "optimize": True}),
    "PNG": ("image/png", "png", {"optimize": True}),
    "WEBP": ("image/webp", "webp", {"quality": 85}),
}
SUBFOLDER = "request-photos"
# Session.info key: files written in the session's transaction, removed if it never commits.
WRITTEN_IN_TRANSACTION = "request_photo_files"


class PhotoRejected(ValueError):
    """An upload we will not store; the message is for the person who sent it."""


@dataclass
class PreparedPhoto:
    """A photo checked and re-encoded in memory, not yet written anywhere."""

    content_type: str
    extension: str
    width: int
    height: int
    data: bytes
    thumb: bytes


def photo_folder() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"]) / SUBFOLDER


def _read_limited(upload) -> bytes:
    # The request body limit already bounds uploads; this bounds callers outside a request.
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    stream = upload.stream if hasattr(upload, "stream") else upload
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise PhotoRejected(f"is larger than {limit // MEGABYTE} MB.")
    if not data:
        raise PhotoRejected("is empty.")
    return data


def _encode(image: Image.Image, image_format: str, longest: int) -> bytes:
    image = image.copy()
    image.thumbnail((longest, longest))
    if image_format == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    elif image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA")
    out = io.BytesIO()
    _, _, options = ALLOWED_FORMATS[image_format]
    image.save(out, format=image_format, **options)
    return out.getvalue()


def prepare_photo(upload) -> PreparedPhoto:
    """Check one upload and re-encode it; raise PhotoRejected with a reason otherwise."""
    data = _read_limited(upload)
    try:
        image = decode_image(data, formats=ALLOWED_FORMATS, max_pixels=MAX_PHOTO_PIXELS)
    except TooManyPixels as error:
        raise PhotoRejected("has too many pixels (at most 40 megapixels).") from error
    except DamagedImage as error:
        raise PhotoRejected("is damaged or incomplete; choose the photo again.") from error
    except NotAnImage as error:
        raise PhotoRejected("is not a JPEG, PNG or WebP image.") from error
    image_format = image.format
    content_type, extension, _ = ALLOWED_FORMATS[image_format]
    upright = ImageOps.exif_transpose(image)
    stored = _encode(upright, image_format, STORED_LONGEST_SIDE)
    with Image.open(io.BytesIO(stored)) as check:
        width, height = check.size
    return PreparedPhoto(
        content_type=content_type,
        extension=extension,
        width=width,
        height=height,
        data=stored,
        thumb=_encode(upright, image_format, THUMB_LONGEST_SIDE),
    )


def photo_of(service_request: ServiceRequest, photo_id: int) -> RequestPhoto | None:
    """Photo ``photo_id`` when it is one of ``service_request``'s, else None."""
    photo = db.session.get(RequestPhoto, photo_id)
    return photo if photo is not None and photo.request_id == service_request.id else None


def thumb_name(filename: str) -> str:
    stem, _, extension = filename.rpartition(".")
    return f"{stem}.thumb.{extension}"


def store_photo(prepared: PreparedPhoto, session: Session | None = None) -> str:
    """Write the photo and its thumbnail under a fresh random name; return the name.

    With a session, the files belong to its transaction: a rollback deletes them, so a
    request that fails after the upload leaves no orphaned files behind."""
    folder = photo_folder()
    folder.mkdir(parents=True, exist_ok=True)
    filename = f"{secrets.token_urlsafe(24)}.{prepared.extension}"
    for name, payload in ((filename, prepared.data), (thumb_name(filename), prepared.thumb)):
        # O_EXCL: never overwrite, even in the astronomically unlikely case of a clash.
        descriptor = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(payload)
        if session is not None:
            session.info.setdefault(WRITTEN_IN_TRANSACTION, []).append(folder / name)
    return filename


def _remove_files(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


transaction_state.track(WRITTEN_IN_TRANSACTION, on_rollback=_remove_files)
