"""Truncated and corrupt images are refused on every worker (QUALITY.md 31), also one that
has rendered a PDF: importing WeasyPrint sets PIL.ImageFile.LOAD_TRUNCATED_IMAGES = True
for the whole process, and with it Pillow pads half an image out with grey."""

import io
import random
import threading

import pytest
import weasyprint  # noqa: F401  (sets LOAD_TRUNCATED_IMAGES, as in a worker that made a PDF)
from PIL import Image, ImageFile
from sqlalchemy import func, select

from fieldportal.models import ServiceRequest
from fieldportal.services.images import DamagedImage, decode_image
from fieldportal.services.settings import logo_folder
from fieldportal.services.work.request_photos import photo_folder
from tests.helpers import sign_in, text_of

# A fixed seed: about 3 % of random garbles of a JPEG's scan decode without an error
# (libjpeg only warns about them), so the test uses one that is an error.
SEED = 2026


def _noise(fmt: str) -> bytes:
    pixels = random.Random(SEED).randbytes(320 * 240 * 3)
    out = io.BytesIO()
    Image.frombytes("RGB", (320, 240), pixels).save(out, format=fmt)
    return out.getvalue()


def truncated_png() -> bytes:
    data = _noise("PNG")
    return data[: len(data) // 2]


def corrupt_jpeg() -> bytes:
    """A JPEG whose compressed scan was overwritten with random bytes."""
    data = _noise("JPEG")
    scan = data.index(b"\xff\xda") + 20
    garble = random.Random(SEED).randbytes(len(data) - scan - 2)
    return data[:scan] + garble + b"\xff\xd9"


DAMAGED = {
    "truncated.png": (truncated_png, "image/png"),
    "corrupt.jpg": (corrupt_jpeg, "image/jpeg"),
}


@pytest.fixture(autouse=True)
def lenient_pillow(monkeypatch):
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True


def _files(folder) -> set[str]:
    return {path.name for path in folder.iterdir()} if folder.exists() else set()


@pytest.mark.parametrize("name", sorted(DAMAGED))
def test_pillow_alone_would_take_them(name):
    make, _ = DAMAGED[name]
    with Image.open(io.BytesIO(make())) as image:
        image.load()  # no error: this is what the upload paths must not rely on


@pytest.mark.parametrize("name", sorted(DAMAGED))
def test_a_damaged_logo_is_refused_and_nothing_stored(staff_client, company, db, app, name):
    make, _ = DAMAGED[name]
    with app.app_context():
        before = _files(logo_folder())
    response = staff_client.post(
        "/settings/logo",
        data={"logo": (io.BytesIO(make()), name)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "That image is damaged or incomplete; save it again and upload the new file." in text_of(
        response
    )
    db.session.refresh(company)
    assert company.logo_filename is None
    with app.app_context():
        assert _files(logo_folder()) == before
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # WeasyPrint's setting is left as it was


@pytest.fixture
def portal(client, company, create):
    sign_in(client, create.contact(create.customer(company)))
    return client


def _request_with_photo(portal, company, data: bytes, name: str, content_type: str):
    return portal.post(
        f"/portal/{company.slug}/requests/new",
        data={
            "description": "Cracked windscreen",
            "photos": [(io.BytesIO(data), name, content_type)],
        },
        content_type="multipart/form-data",
    )


def test_the_same_request_with_a_whole_photo_is_sent(portal, company, db):
    response = _request_with_photo(portal, company, _noise("JPEG"), "whole.jpg", "image/jpeg")
    assert response.status_code == 303
    assert db.session.scalar(select(func.count(ServiceRequest.id))) == 1


@pytest.mark.parametrize("name", sorted(DAMAGED))
def test_a_damaged_request_photo_is_refused_and_nothing_stored(portal, company, db, app, name):
    make, content_type = DAMAGED[name]
    with app.app_context():
        before = _files(photo_folder())
    response = _request_with_photo(portal, company, make(), name, content_type)
    assert response.status_code == 422
    assert f"{name} is damaged or incomplete; choose the photo again." in text_of(response)
    assert db.session.scalar(select(func.count(ServiceRequest.id))) == 0
    with app.app_context():
        assert _files(photo_folder()) == before
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True


def test_decoding_at_once_in_many_threads_refuses_every_damaged_image():
    """The switch is process-wide: threads decoding together never see it on."""
    good = _noise("PNG")
    results: list[str] = []

    def work(data: bytes) -> None:
        for _ in range(5):
            try:
                decode_image(data, formats={"PNG", "JPEG"}, max_pixels=10**6)
                results.append("ok")
            except DamagedImage:
                results.append("damaged")

    inputs = [truncated_png(), corrupt_jpeg(), good] * 3
    threads = [threading.Thread(target=work, args=(data,)) for data in inputs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count("damaged") == 30 and results.count("ok") == 15
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True
