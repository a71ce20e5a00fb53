"""Request payloads turned into images or pixel rows, with a client error for every bad one.

Three payloads carry images to ``POST /predict`` (see the user guide's serving page):

- ``multipart/form-data``: one image file per file field (any field name; the order is kept);
- ``application/json``: ``{"images": [BASE64, ...]}`` (or ``{"image": BASE64}``), PNG, JPEG or
  anything Pillow reads, plain base64 or a ``data:`` URL; or ``{"pixels": [[784 numbers], ...]}``
  (or one row of 784), digits already in MNIST's framing, grey levels 0 (paper) to 255 (ink);
- a bare image body (``Content-Type: image/png``, ``image/jpeg``...).

Everything here runs without the web framework: it raises :class:`RequestError`, which
carries the HTTP status the application answers with.
"""

import base64
import binascii
import io
import json
from dataclasses import dataclass

import numpy as np

from .._framing import image_array

#: Pixels of one MNIST row.
N_PIXELS = 28 * 28


class RequestError(Exception):
    """A request the server refuses: ``status`` (4xx) and a message for the client."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Limits:
    """What one request may hold.

    Parameters
    ----------
    max_body_bytes : int
        Bytes of the request body (larger: 413).
    max_pixels : int
        Width times height of one decoded image, checked from the image's header before its
        pixels are decompressed, so a small file that would decompress into a huge image (a
        decompression bomb) is refused cheaply (413).
    max_images : int
        Images (files, base64 strings or pixel rows) in one request (more: 413).
    """

    max_body_bytes: int = 20_000_000
    max_pixels: int = 25_000_000
    max_images: int = 256

    def __post_init__(self):
        for name in ("max_body_bytes", "max_pixels", "max_images"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}.")

    def check_count(self, n):
        if n == 0:
            raise RequestError(400, "the request holds no image")
        if n > self.max_images:
            raise RequestError(
                413, f"{n} images in one request; the limit is {self.max_images}"
            )


@dataclass
class Batch:
    """A request's input: raw ``images`` (arrays, to be framed) or framed ``pixels`` rows."""

    images: list | None = None
    pixels: np.ndarray | None = None

    def __len__(self):
        return len(self.images) if self.pixels is None else len(self.pixels)


def decode_image(data, max_pixels, name="the image"):
    """The pixels of one image file's bytes (first frame, EXIF orientation applied).

    Parameters
    ----------
    data : bytes
        The file's bytes.
    max_pixels : int
        The most pixels (width times height) the image may have.
    name : str
        How error messages name the image.

    Returns
    -------
    image : ndarray
        Grey, RGB or RGBA pixels, as :func:`skmnist._framing.to_grey` reads them.

    Raises
    ------
    RequestError
        400 when the bytes are not an image Pillow can read, 413 when it has too many pixels.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    if not data:
        raise RequestError(400, f"{name} is empty (0 bytes)")
    try:
        with Image.open(io.BytesIO(data)) as image:
            # The header gives the size: refuse a bomb before decompressing anything.
            width, height = image.size
            if width * height > max_pixels:
                raise RequestError(
                    413, f"{name} has {width}x{height} = {width * height:,} pixels; the limit "
                    f"is {max_pixels:,} pixels per image"
                )
            image.load()  # an animated file's first frame
            # Phone photos store their rotation in EXIF: the digit must stand upright.
            image = ImageOps.exif_transpose(image)
            return image_array(image)
    except UnidentifiedImageError:
        raise RequestError(
            400, f"{name} is not an image file Pillow can read (PNG, JPEG, GIF, WebP...)"
        ) from None
    except Image.DecompressionBombError as exc:
        raise RequestError(413, f"{name} is refused: {exc}") from None
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise RequestError(400, f"{name} is unreadable (truncated or corrupt): {exc}") from None


def _base64_bytes(text, name):
    if not isinstance(text, str):
        raise RequestError(
            400, f"{name} must be a base64 string (PNG, JPEG...), got {type(text).__name__}"
        )
    if text.startswith("data:"):  # a data URL, as a browser's canvas.toDataURL() gives
        _, sep, text = text.partition(",")
        if not sep:
            raise RequestError(400, f"{name} is a data: URL without a comma before its data")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise RequestError(400, f"{name} is not valid base64") from None


def pixel_rows(value, limits):
    """Validate ``{"pixels": ...}``: one row of 784 or a list of them, numbers in [0, 255]."""
    try:
        rows = np.asarray(value, dtype=np.float32)
    except (TypeError, ValueError):
        raise RequestError(
            400, "pixels must be a list of rows of 784 numbers (0-255), all of the same length"
        ) from None
    if rows.ndim == 1:
        rows = rows[np.newaxis]
    if rows.ndim != 2 or rows.shape[1] != N_PIXELS:
        raise RequestError(
            400, f"pixels must be rows of {N_PIXELS} numbers (28x28, row by row); got an "
            f"array of shape {rows.shape}"
        )
    limits.check_count(len(rows))
    if not np.isfinite(rows).all() or rows.min() < 0 or rows.max() > 255:
        raise RequestError(400, "pixels must be finite numbers in [0, 255]")
    return np.ascontiguousarray(rows)


def batch_from_json(body, limits):
    """The :class:`Batch` of a JSON body (bytes)."""
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RequestError(400, f"the body is not valid JSON: {exc}") from None
    keys = {"image", "images", "pixels"}
    given = sorted(keys & set(payload)) if isinstance(payload, dict) else []
    if len(given) != 1:
        raise RequestError(
            400, 'the JSON body must be an object with one of "images" (a list of base64 '
            'images), "image" (one) or "pixels" (rows of 784 grey levels)'
        )
    (key,) = given
    if key == "pixels":
        return Batch(pixels=pixel_rows(payload["pixels"], limits))
    items = [payload["image"]] if key == "image" else payload["images"]
    if not isinstance(items, list):
        raise RequestError(400, '"images" must be a list of base64 strings')
    limits.check_count(len(items))
    return Batch(images=[
        decode_image(_base64_bytes(item, f"image {i}"), limits.max_pixels, f"image {i}")
        for i, item in enumerate(items)
    ])


def batch_from_files(files, limits):
    """The :class:`Batch` of uploaded files' bytes: ``[(filename, bytes), ...]``."""
    limits.check_count(len(files))
    return Batch(images=[
        decode_image(data, limits.max_pixels, f"image {i} ({filename!r})")
        for i, (filename, data) in enumerate(files)
    ])
