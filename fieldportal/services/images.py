"""Uploaded images: the one place their bytes are decoded (logos and request photos).

Importing WeasyPrint sets ``PIL.ImageFile.LOAD_TRUNCATED_IMAGES = True`` for the whole
process, so a worker that has rendered a PDF would accept half a PNG or a JPEG with a
garbled scan and pad the missing part out with grey. Uploads are therefore decoded with
the flag forced off and then put back as it was. The flag is process-wide, so the
switch happens under a lock: two uploads decoded at once in a threaded worker cannot
leave it on for each other.
"""

import io
import threading
import warnings
from collections.abc import Collection
from contextlib import contextmanager

from PIL import Image, ImageFile, UnidentifiedImageError

_strict_decoding_lock = threading.Lock()


class ImageRefused(Exception):
    """Bytes we will not take as an image; callers word the message for their page."""


class NotAnImage(ImageRefused):
    """Not an image in one of the accepted formats."""


class DamagedImage(ImageRefused):
    """Looks like an accepted format but is truncated or corrupt."""


class TooManyPixels(ImageRefused):
    """Claims more pixels than allowed (refused before decoding)."""


@contextmanager
def _strict_decoding():
    with _strict_decoding_lock, warnings.catch_warnings():
        # Pillow only warns between MAX_IMAGE_PIXELS and twice that; we refuse both.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        saved = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            yield
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = saved


def decode_image(data: bytes, *, formats: Collection[str], max_pixels: int) -> Image.Image:
    """The image in ``data``, every pixel decoded; raise an ImageRefused otherwise.

    The format is what Pillow finds in the bytes (never the file name), the pixel count is
    checked before decoding (a small file can decode to gigabytes), ``verify()`` checks the
    file's own structure and checksums, and the full decode refuses a short or broken file.
    """
    with _strict_decoding():
        try:
            with Image.open(io.BytesIO(data), formats=tuple(formats)) as probe:
                width, height = probe.size
                if width * height > max_pixels:
                    raise TooManyPixels(f"{width} × {height} pixels")
                probe.verify()
            image = Image.open(io.BytesIO(data), formats=tuple(formats))
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise TooManyPixels(str(error)) from error
        except UnidentifiedImageError as error:
            raise NotAnImage(str(error)) from error
        except (OSError, EOFError, ValueError, SyntaxError) as error:
            raise DamagedImage(str(error)) from error
    return image
