"""MNIST loaders in the style of :mod:`sklearn.datasets`.

- :func:`fetch_mnist` reads the four official MNIST IDX files (gzip) from the data home, verifies
  their MD5 checksums and, if they are missing, downloads them from :data:`MIRRORS`.
- :func:`load_mnist_sample` reads the small stratified sample embedded in the package; it needs
  neither the network nor any file outside the package.
- :func:`get_data_home` says where :func:`fetch_mnist` looks for (and stores) the files: the
  ``data_home`` argument, else the ``SKMNIST_DATA`` environment variable, else
  ``~/skmnist_data``.

Nothing here touches the network at import time; only :func:`fetch_mnist` may download, and only
when files are missing and ``download_if_missing=True``.

MNIST is by Yann LeCun, Corinna Cortes and Christopher J.C. Burges and is distributed under the
Creative Commons Attribution-Share Alike 3.0 license (CC BY-SA 3.0).
"""

import gzip
import hashlib
import logging
import os
import struct
import urllib.request
import zlib
from importlib import resources

import numpy as np
from sklearn.utils import Bunch
from sklearn.utils._param_validation import StrOptions, validate_params

from ._io import atomic_file

__all__ = [
    "MIRRORS",
    "MD5_CHECKSUMS",
    "MNISTDownloadError",
    "fetch_mnist",
    "get_data_home",
    "load_mnist_sample",
]

logger = logging.getLogger(__name__)

#: Base URLs tried in order when files are missing; a file's URL is ``mirror + filename``.
MIRRORS = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
]

#: Official MD5 checksums of the gzip files (as distributed, not of the uncompressed data).
MD5_CHECKSUMS = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}

# subset -> (images file, labels file), in official order ("all" = train then test)
_SUBSET_FILES = {
    "train": [("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")],
    "test": [("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")],
}
_SUBSET_FILES["all"] = _SUBSET_FILES["train"] + _SUBSET_FILES["test"]

_ENV_VAR = "SKMNIST_DATA"
_DEFAULT_HOME = os.path.join("~", "skmnist_data")
_SUBFOLDER = "mnist"  # downloads go to <data_home>/mnist/
_DOWNLOAD_TIMEOUT = 30.0  # seconds, per connection attempt / socket read
_CHUNK = 1 << 20

_ROWS = _COLS = 28
_N_PIXELS = _ROWS * _COLS
# Images in the official training set: test rows are numbered after them in subset="all".
_N_OFFICIAL_TRAIN = 60_000
_IMAGES_MAGIC = 0x00000803
_LABELS_MAGIC = 0x00000801

_SAMPLE_RESOURCE = ("data", "mnist_sample.npz")

_FEATURE_NAMES = [f"pixel_{r}_{c}" for r in range(_ROWS) for c in range(_COLS)]

_DESCR = """\
.. _mnist_dataset:

MNIST handwritten digits dataset
--------------------------------

**Data Set Characteristics:**

:Number of Instances: 70,000 (60,000 official training images, 10,000 official test images)
:Number of Attributes: 784 (28 x 28 pixels), grey levels 0 (background) to 255 (ink), uint8
:Classes: 10 (the digits 0 to 9)
:Creators: Yann LeCun, Corinna Cortes, Christopher J.C. Burges
:License: Creative Commons Attribution-Share Alike 3.0 (CC BY-SA 3.0)
:Source: http://yann.lecun.com/exdb/mnist/

The MNIST database of handwritten digits was built from NIST Special Databases 1 and 3. The
digits were size-normalized to fit a 20 x 20 box (preserving their aspect ratio), anti-aliased,
and centered by center of mass in a 28 x 28 image. The training set was written by about 250
writers; the writers of the test set are disjoint from those of the training set.

The canonical split is kept: ``subset="train"`` gives the 60,000 official training images,
``subset="test"`` the 10,000 official test images and ``subset="all"`` both, train first, each in
its official order.

Per-class counts -- train: 5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949;
test: 980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009.

Attribution: the MNIST database is by Yann LeCun (Courant Institute, NYU) and Corinna Cortes
(Google Labs, New York), with Christopher J.C. Burges (Microsoft Research, Redmond), and is
distributed under the Creative Commons Attribution-Share Alike 3.0 license
(https://creativecommons.org/licenses/by-sa/3.0/). Data derived from it and redistributed
(such as the sample embedded in this package) is shared under the same license.

.. dropdown:: References

  - Y. LeCun, L. Bottou, Y. Bengio and P. Haffner. "Gradient-based learning applied to document
    recognition." Proceedings of the IEEE, 86(11):2278-2324, November 1998.
"""

_SAMPLE_DESCR_HEAD = """\
.. _mnist_sample_dataset:

MNIST sample (embedded in skmnist)
----------------------------------

A stratified random sample of MNIST shipped inside the package so that examples and tests run
offline: {n_train:,} images drawn from the official training set and {n_test:,} images drawn
from the official test set, each stratified by digit (per-class proportions as in the official
set) with a fixed seed, and stored in official order. ``official_index`` gives each image's
position in the corresponding official set (for ``subset="all"``, in the official train-then-test
order, i.e. ``fetch_mnist("all")``), so the sample is traceable. Rebuild it with
``tools/make_mnist_sample.py``.

The full dataset is described below.

"""


class MNISTDownloadError(ConnectionError):
    """Raised when no mirror in :data:`MIRRORS` delivered a file with the official checksum.

    A :class:`ConnectionError`, hence an :class:`OSError`: ``except OSError`` catches it along
    with the other I/O failures of :func:`fetch_mnist`. Its message lists every URL tried and
    says where to put the files by hand.

    Examples
    --------
    >>> from skmnist.datasets import MNISTDownloadError
    >>> issubclass(MNISTDownloadError, ConnectionError), issubclass(MNISTDownloadError, OSError)
    (True, True)
    """


# --------------------------------------------------------------------------------------------
# data home
# --------------------------------------------------------------------------------------------


@validate_params({"data_home": [str, os.PathLike, None]}, prefer_skip_nested_validation=True)
def get_data_home(data_home=None):
    """Return the path of the skmnist data folder.

    :func:`fetch_mnist` looks for the official MNIST files there (directly in it or in its
    ``mnist/`` subfolder) and downloads missing ones into its ``mnist/`` subfolder.

    The folder is, in order: the ``data_home`` argument; the ``SKMNIST_DATA`` environment
    variable; ``~/skmnist_data``. The ``~`` symbol is expanded to the user's home folder.
    Unlike :func:`sklearn.datasets.get_data_home`, the folder is *not* created here: it is created
    only when something is written to it (a download).

    Parameters
    ----------
    data_home : str or path-like, default=None
        The path to the data folder. If `None`, use ``SKMNIST_DATA`` if it is set, else
        ``~/skmnist_data``.

    Returns
    -------
    data_home : str
        The path of the data folder (it may not exist yet).

    Examples
    --------
    >>> from skmnist.datasets import get_data_home
    >>> get_data_home("/tmp/mnist_files")
    '/tmp/mnist_files'
    """
    if data_home is None:
        data_home = os.environ.get(_ENV_VAR) or _DEFAULT_HOME
    return os.path.expanduser(os.fspath(data_home))


# --------------------------------------------------------------------------------------------
# reading and verifying the IDX files
# --------------------------------------------------------------------------------------------


def _find_file(data_home, filename):
    """Path of ``filename`` in ``data_home`` or ``data_home/mnist``, or None."""
    for folder in (data_home, os.path.join(data_home, _SUBFOLDER)):
        path = os.path.join(folder, filename)
        if os.path.isfile(path):
            return path
    return None


def _read_verified_idx(path, filename):
    """Read a gzip IDX file once, check its MD5, return the uncompressed bytes."""
    with open(path, "rb") as f:
        raw = f.read()
    expected = MD5_CHECKSUMS[filename]
    actual = hashlib.md5(raw, usedforsecurity=False).hexdigest()
    if actual != expected:
        raise ValueError(
            f"MD5 checksum mismatch for {path!r}: expected {expected}, got {actual} "
            f"({len(raw):,} bytes). The file is corrupt or truncated; replace it with the "
            f"official {filename} (or delete it so that fetch_mnist downloads it again)."
        )
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"{path!r} is not a valid (complete) gzip file: {exc}") from exc


def _parse_idx(buf, path, magic, n_dims):
    """Strictly parse an IDX header; return (dims, offset) where the uint8 data starts."""
    header_len = 4 + 4 * n_dims
    if len(buf) < header_len:
        raise ValueError(f"{path!r}: truncated IDX header ({len(buf)} bytes)")
    (found_magic,) = struct.unpack(">I", buf[:4])
    if found_magic != magic:
        raise ValueError(
            f"{path!r}: bad IDX magic number 0x{found_magic:08x}, expected 0x{magic:08x}"
        )
    dims = struct.unpack(f">{n_dims}I", buf[4:header_len])
    expected_len = header_len + int(np.prod(dims, dtype=np.int64))
    if len(buf) != expected_len:
        raise ValueError(
            f"{path!r}: IDX data has {len(buf) - header_len:,} bytes after the header, "
            f"expected exactly {expected_len - header_len:,} for dimensions {dims} "
            "(truncated or corrupt file)"
        )
    return dims, header_len


def _load_pair(data_home, images_name, labels_name):
    """Read, verify and parse one images/labels pair; return (pixels (n, 784), labels (n,))."""
    images_path = _find_file(data_home, images_name)
    labels_path = _find_file(data_home, labels_name)
    for name, path in ((images_name, images_path), (labels_name, labels_path)):
        if path is None:  # removed since it was looked for
            raise FileNotFoundError(f"MNIST file {name} not found in {data_home!r}")

    buf = _read_verified_idx(images_path, images_name)
    (n, rows, cols), offset = _parse_idx(buf, images_path, _IMAGES_MAGIC, 3)
    if (rows, cols) != (_ROWS, _COLS):
        raise ValueError(f"{images_path!r}: images are {rows} x {cols}, expected 28 x 28")
    pixels = np.frombuffer(buf, dtype=np.uint8, count=n * _N_PIXELS, offset=offset)

    lbuf = _read_verified_idx(labels_path, labels_name)
    (n_labels,), loffset = _parse_idx(lbuf, labels_path, _LABELS_MAGIC, 1)
    if n_labels != n:
        raise ValueError(
            f"{labels_path!r} holds {n_labels} labels but {images_path!r} holds {n} images"
        )
    labels = np.frombuffer(lbuf, dtype=np.uint8, count=n, offset=loffset)
    if n and labels.max() > 9:
        raise ValueError(f"{labels_path!r}: label {labels.max()} outside 0..9")
    return pixels.reshape(n, _N_PIXELS), labels


# --------------------------------------------------------------------------------------------
# downloading
# --------------------------------------------------------------------------------------------


def _download_one(url, folder, filename):
    """Stream ``url`` into a temporary file in ``folder``, verify it, move it into place.

    On any failure the temporary file is removed and the exception propagates.
    """
    expected = MD5_CHECKSUMS[filename]
    final_path = os.path.join(folder, filename)
    with atomic_file(final_path) as out:
        md5 = hashlib.md5(usedforsecurity=False)
        n_bytes = 0
        with urllib.request.urlopen(url, timeout=_DOWNLOAD_TIMEOUT) as response:
            length = response.headers.get("Content-Length")
            while chunk := response.read(_CHUNK):
                md5.update(chunk)
                out.write(chunk)
                n_bytes += len(chunk)
        # Raising here, inside the block, discards the temporary file.
        if length is not None and n_bytes != int(length):
            raise OSError(f"truncated download: received {n_bytes:,} of {int(length):,} bytes")
        if md5.hexdigest() != expected:
            raise ValueError(
                f"MD5 checksum mismatch: expected {expected}, got {md5.hexdigest()} "
                f"({n_bytes:,} bytes)"
            )
    return final_path


def _download(filename, data_home):
    """Download ``filename`` into ``data_home/mnist`` from the first mirror that works."""
    folder = os.path.join(data_home, _SUBFOLDER)
    created = []  # folders this call creates, innermost first, removed again on failure
    path = os.path.abspath(folder)
    while not os.path.isdir(path) and path != os.path.dirname(path):
        created.append(path)
        path = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    errors = []
    for mirror in list(MIRRORS):
        url = mirror + filename
        logger.info("Downloading %s from %s", filename, url)
        try:
            return _download_one(url, folder, filename)
        except Exception as exc:  # try the next mirror
            logger.info("Download of %s failed: %s: %s", url, type(exc).__name__, exc)
            errors.append(f"  {url}: {type(exc).__name__}: {exc}")
    for path in created:  # leave nothing behind that this call created
        try:
            os.rmdir(path)
        except OSError:
            break
    tried = "\n".join(errors) if errors else "  (MIRRORS is empty)"
    raise MNISTDownloadError(
        f"Could not download {filename} (official MD5 {MD5_CHECKSUMS[filename]}) from any "
        f"mirror:\n{tried}\nTo install the files by hand, put the official MNIST files "
        f"{', '.join(MD5_CHECKSUMS)} into {data_home!r} or {folder!r} (or set {_ENV_VAR} / "
        "data_home to a folder that holds them)."
    )


# --------------------------------------------------------------------------------------------
# public loaders
# --------------------------------------------------------------------------------------------


def _make_bunch(pixels, labels, subset, descr, return_X_y, **extra):
    target = labels.astype(np.int64)
    if return_X_y:
        return pixels, target
    return Bunch(
        data=pixels,
        target=target,
        images=pixels.reshape(-1, _ROWS, _COLS),
        feature_names=list(_FEATURE_NAMES),
        target_names=np.arange(10),
        DESCR=descr,
        subset=subset,
        **extra,
    )


@validate_params(
    {
        "subset": [StrOptions({"train", "test", "all"})],
        "data_home": [str, os.PathLike, None],
        "download_if_missing": ["boolean"],
        "return_X_y": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def fetch_mnist(subset="train", *, data_home=None, download_if_missing=True, return_X_y=False):
    """Load the MNIST handwritten digits dataset (official files, canonical split).

    The four official gzip IDX files (``train-images-idx3-ubyte.gz``,
    ``train-labels-idx1-ubyte.gz``, ``t10k-images-idx3-ubyte.gz``,
    ``t10k-labels-idx1-ubyte.gz``) are looked for in the data home and in its ``mnist/``
    subfolder (see :func:`get_data_home`). Each file's MD5 is checked against the official
    checksum and its IDX header is parsed strictly, so a corrupt or truncated file raises an
    error instead of returning wrong data. Missing files are downloaded from :data:`MIRRORS`
    into ``<data_home>/mnist/`` (atomically: a failed download leaves nothing behind) unless
    ``download_if_missing=False``.

    =================   ==========================================
    Classes                                                     10
    Samples total                70,000 (60,000 train, 10,000 test)
    Dimensionality                           784 (28 x 28 pixels)
    Features                         integers 0-255 (uint8 pixels)
    =================   ==========================================

    Parameters
    ----------
    subset : {"train", "test", "all"}, default="train"
        Which part of the canonical split to load: the 60,000 official training images, the
        10,000 official test images, or all 70,000 (training set first, then test set, each in
        official order).

    data_home : str or path-like, default=None
        Where to look for (and download) the files. By default, the ``SKMNIST_DATA``
        environment variable if set, else ``~/skmnist_data``.

    download_if_missing : bool, default=True
        If False, raise an :class:`OSError` (:class:`FileNotFoundError`) naming the missing
        files instead of downloading them.

    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch object.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object, with the following attributes.

        data : ndarray of shape (n_samples, 784), dtype uint8
            The flattened images (row-major), grey levels 0 (background) to 255 (ink).
        target : ndarray of shape (n_samples,), dtype int64
            The digit of each image, 0 to 9.
        images : ndarray of shape (n_samples, 28, 28), dtype uint8
            The images; a view of the same memory as ``data``.
        feature_names : list of str
            ``"pixel_{row}_{col}"`` for each of the 784 columns of ``data``.
        target_names : ndarray of shape (10,), dtype int64
            ``np.arange(10)``: the digits.
        DESCR : str
            The full description of the dataset, with its license and attribution.
        subset : str
            The subset that was loaded.

    (data, target) : tuple if ``return_X_y`` is True
        ``data`` of shape (n_samples, 784), dtype uint8 and ``target`` of shape (n_samples,),
        dtype int64.

    Raises
    ------
    FileNotFoundError
        If files are missing and ``download_if_missing=False``.
    MNISTDownloadError
        (a :class:`ConnectionError`, hence an :class:`OSError`) if files are missing and no
        mirror delivered them with the official checksum.
    ValueError
        If a local file does not have the official checksum or is not a valid IDX file.

    Notes
    -----
    MNIST is by Yann LeCun, Corinna Cortes and Christopher J.C. Burges, distributed under the
    Creative Commons Attribution-Share Alike 3.0 license.

    Examples
    --------
    The files are read from the data home (here the ``SKMNIST_DATA`` folder, which holds
    them); ``download_if_missing=False`` makes sure nothing is ever downloaded:

    >>> from skmnist.datasets import fetch_mnist
    >>> mnist = fetch_mnist("test", download_if_missing=False)
    >>> mnist.data.shape, mnist.data.dtype
    ((10000, 784), dtype('uint8'))
    >>> mnist.images.shape, mnist.target[:10].tolist()
    ((10000, 28, 28), [7, 2, 1, 0, 4, 1, 4, 9, 5, 9])
    >>> X, y = fetch_mnist(subset="all", download_if_missing=False, return_X_y=True)
    >>> X.shape, y.shape
    ((70000, 784), (70000,))
    """
    data_home = get_data_home(data_home)
    pairs = _SUBSET_FILES[subset]
    needed = [name for pair in pairs for name in pair]

    missing = [name for name in needed if _find_file(data_home, name) is None]
    if missing and not download_if_missing:
        raise FileNotFoundError(
            f"MNIST file(s) {', '.join(missing)} not found in the data home {data_home!r} "
            f"(nor in its {_SUBFOLDER!r} subfolder), and download_if_missing=False. Put the "
            f"official files {', '.join(needed)} there, point {_ENV_VAR} or data_home at a "
            "folder that holds them, or pass download_if_missing=True."
        )
    for name in missing:
        _download(name, data_home)

    parts = [_load_pair(data_home, *pair) for pair in pairs]
    if len(parts) == 1:
        pixels, labels = parts[0]
        pixels = pixels.copy()  # own, writeable memory (frombuffer views are read-only)
    else:
        pixels = np.concatenate([p for p, _ in parts])
        labels = np.concatenate([lab for _, lab in parts])
    return _make_bunch(pixels, labels, subset, _DESCR, return_X_y)


@validate_params(
    {"subset": [StrOptions({"train", "test", "all"})], "return_X_y": ["boolean"]},
    prefer_skip_nested_validation=True,
)
def load_mnist_sample(subset="train", *, return_X_y=False):
    """Load the small stratified MNIST sample embedded in the package (works offline).

    5,000 images drawn from the official training set and 1,000 from the official test set,
    stratified by digit with a fixed seed and kept in official order. Use it for examples,
    tests and quick experiments; use :func:`fetch_mnist` for the full dataset.

    =================   ==========================================
    Classes                                                     10
    Samples total                   6,000 (5,000 train, 1,000 test)
    Dimensionality                           784 (28 x 28 pixels)
    Features                         integers 0-255 (uint8 pixels)
    =================   ==========================================

    Parameters
    ----------
    subset : {"train", "test", "all"}, default="train"
        The sample of the official training set, of the official test set, or both (train
        first).

    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch object.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        The same fields as :func:`fetch_mnist` (``data`` uint8 (n, 784), ``target`` int64,
        ``images`` uint8 (n, 28, 28) view of ``data``, ``feature_names``, ``target_names``,
        ``DESCR``, ``subset``), plus:

        official_index : ndarray of shape (n_samples,), dtype int64
            Each image's row in ``fetch_mnist(subset)``.

    (data, target) : tuple if ``return_X_y`` is True
        ``data`` of shape (n_samples, 784), dtype uint8 and ``target`` of shape (n_samples,),
        dtype int64.

    Examples
    --------
    >>> from skmnist.datasets import load_mnist_sample
    >>> sample = load_mnist_sample()
    >>> sample.data.shape, sample.data.dtype
    ((5000, 784), dtype('uint8'))
    >>> X_test, y_test = load_mnist_sample("test", return_X_y=True)
    >>> X_test.shape, y_test.shape
    ((1000, 784), (1000,))
    """
    ref = resources.files("skmnist").joinpath(*_SAMPLE_RESOURCE)
    with resources.as_file(ref) as path, np.load(path) as npz:
        arrays = {key: npz[key] for key in npz.files}

    n_train = len(arrays["train_target"])
    n_test = len(arrays["test_target"])
    parts = {
        "train": [("train", 0)],
        "test": [("test", 0)],
        "all": [("train", 0), ("test", _N_OFFICIAL_TRAIN)],
    }[subset]
    pixels = np.concatenate([arrays[f"{p}_images"].reshape(-1, _N_PIXELS) for p, _ in parts])
    labels = np.concatenate([arrays[f"{p}_target"] for p, _ in parts])
    index = np.concatenate([arrays[f"{p}_index"].astype(np.int64) + off for p, off in parts])
    descr = _SAMPLE_DESCR_HEAD.format(n_train=n_train, n_test=n_test) + _DESCR
    return _make_bunch(pixels, labels, subset, descr, return_X_y, official_index=index)
