"""Tests for skmnist.datasets: fetch_mnist (local files, checksums, real downloads from a local
HTTP server) and the embedded sample. No test reaches beyond 127.0.0.1."""

import gzip
import hashlib
import os
import socket
import struct
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import numpy as np
import pytest

from skmnist import datasets
from skmnist.datasets import (
    MNISTDownloadError,
    fetch_mnist,
    get_data_home,
    load_mnist_sample,
)

FILES = list(datasets.MD5_CHECKSUMS)
TRAIN_FILES = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]
TEST_FILES = ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
_DEFAULT_MIRRORS = list(datasets.MIRRORS)  # before the autouse fixture empties it


def _md5(data):
    return hashlib.md5(data).hexdigest()


def _all_files(folder):
    return sorted(
        os.path.relpath(os.path.join(root, f), folder)
        for root, _, files in os.walk(folder)
        for f in files
    )


# ------------------------------------------------------------------------------------------
# no real network: only loopback connections are allowed in this module
# ------------------------------------------------------------------------------------------

_LOCAL = {"127.0.0.1", "::1", "localhost"}


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch):
    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo

    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in _LOCAL:
            raise AssertionError(f"test tried to reach the network: {address}")
        return real_connect(self, address)

    def getaddrinfo(host, *args, **kwargs):
        if host not in _LOCAL:
            raise AssertionError(f"test tried to resolve {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    # any download a test did not set up fails fast instead of reaching the real mirrors
    monkeypatch.setattr(datasets, "MIRRORS", [])


# ------------------------------------------------------------------------------------------
# small synthetic IDX files (with the module's checksum table patched for them)
# ------------------------------------------------------------------------------------------


def _idx_images(images, magic=0x803):
    n, rows, cols = images.shape
    return gzip.compress(struct.pack(">IIII", magic, n, rows, cols) + images.tobytes(), mtime=0)


def _idx_labels(labels, magic=0x801, n=None):
    n = len(labels) if n is None else n
    return gzip.compress(struct.pack(">II", magic, n) + labels.tobytes(), mtime=0)


@pytest.fixture(scope="module")
def synthetic():
    rng = np.random.default_rng(0)
    train_x = rng.integers(0, 256, size=(20, 28, 28), dtype=np.uint8)
    train_y = (np.arange(20) % 10).astype(np.uint8)
    test_x = rng.integers(0, 256, size=(10, 28, 28), dtype=np.uint8)
    test_y = rng.permutation(10).astype(np.uint8)
    blobs = {
        "train-images-idx3-ubyte.gz": _idx_images(train_x),
        "train-labels-idx1-ubyte.gz": _idx_labels(train_y),
        "t10k-images-idx3-ubyte.gz": _idx_images(test_x),
        "t10k-labels-idx1-ubyte.gz": _idx_labels(test_y),
    }
    return SimpleNamespace(
        blobs=blobs, train_x=train_x, train_y=train_y, test_x=test_x, test_y=test_y
    )


@pytest.fixture
def synthetic_md5(synthetic, monkeypatch):
    table = {name: _md5(blob) for name, blob in synthetic.blobs.items()}
    monkeypatch.setattr(datasets, "MD5_CHECKSUMS", table)
    return table


def _write(folder, blobs):
    os.makedirs(folder, exist_ok=True)
    for name, blob in blobs.items():
        with open(os.path.join(folder, name), "wb") as f:
            f.write(blob)


# ------------------------------------------------------------------------------------------
# a real HTTP server on 127.0.0.1 serving good, corrupt, truncated and failing copies
# ------------------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        self.server.requests.append(self.path)
        parts = self.path.split("/")
        mode, name = parts[1], parts[-1]
        blob = self.server.blobs.get(name)
        if blob is None or mode == "missing":
            self.send_error(404)
            return
        if mode in ("drop", "stall"):
            # announce the full length, send half of it, then drop / stall the connection
            self.send_response(200)
            self.send_header("Content-Length", str(len(blob)))
            self.end_headers()
            self.wfile.write(blob[: len(blob) // 2])
            self.wfile.flush()
            if mode == "stall":
                time.sleep(1.0)
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if mode == "good":
            body = blob
        elif mode == "corrupt":  # same length, one byte changed
            mid = len(blob) // 2
            body = blob[:mid] + bytes([blob[mid] ^ 0xFF]) + blob[mid + 1 :]
        elif mode == "truncated":  # a complete response whose body is a truncated file
            body = blob[: len(blob) * 2 // 3]
        else:
            self.send_error(500)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # dropped / stalled connections are the point of some tests


@pytest.fixture
def http_server(synthetic):
    server = _Server(("127.0.0.1", 0), _Handler)
    server.blobs = dict(synthetic.blobs)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    server.mirror = lambda mode: f"{base}{mode}/"
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def _closed_port_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


# ------------------------------------------------------------------------------------------
# get_data_home
# ------------------------------------------------------------------------------------------


def test_get_data_home_resolution_order(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    monkeypatch.delenv("SKMNIST_DATA", raising=False)
    assert get_data_home() == str(tmp_path / "user" / "skmnist_data")

    monkeypatch.setenv("SKMNIST_DATA", str(tmp_path / "env"))
    assert get_data_home() == str(tmp_path / "env")

    assert get_data_home(tmp_path / "arg") == str(tmp_path / "arg")
    assert get_data_home("~/x") == str(tmp_path / "user" / "x")
    # resolving never creates anything
    assert not os.listdir(tmp_path)


def test_get_data_home_rejects_bad_type():
    with pytest.raises(TypeError, match="data_home"):
        get_data_home(3)


# ------------------------------------------------------------------------------------------
# fetch_mnist on local files
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("subfolder", ["", "mnist"])
def test_fetch_local_files_in_home_or_mnist_subfolder(
    tmp_path, synthetic, synthetic_md5, subfolder
):
    _write(tmp_path / subfolder, synthetic.blobs)
    b = fetch_mnist("train", data_home=tmp_path, download_if_missing=False)
    assert b.data.shape == (20, 784) and b.data.dtype == np.uint8
    assert b.images.shape == (20, 28, 28) and b.images.dtype == np.uint8
    assert np.shares_memory(b.images, b.data)
    assert b.data.flags.writeable and b.data.flags.c_contiguous
    assert b.target.dtype == np.int64
    np.testing.assert_array_equal(b.images, synthetic.train_x)
    np.testing.assert_array_equal(b.target, synthetic.train_y)
    assert b.feature_names[:2] == ["pixel_0_0", "pixel_0_1"]
    assert b.feature_names[-1] == "pixel_27_27" and len(b.feature_names) == 784
    np.testing.assert_array_equal(b.target_names, np.arange(10))
    assert b.subset == "train"
    assert "Yann LeCun" in b.DESCR and "Corinna Cortes" in b.DESCR
    assert "CC BY-SA 3.0" in b.DESCR


def test_fetch_subsets_and_return_X_y(tmp_path, synthetic, synthetic_md5):
    _write(tmp_path, synthetic.blobs)
    test = fetch_mnist("test", data_home=tmp_path)
    np.testing.assert_array_equal(test.images, synthetic.test_x)
    np.testing.assert_array_equal(test.target, synthetic.test_y)

    X, y = fetch_mnist("all", data_home=str(tmp_path), return_X_y=True)
    assert X.shape == (30, 784) and y.shape == (30,)
    assert X.dtype == np.uint8 and y.dtype == np.int64
    np.testing.assert_array_equal(X[:20], synthetic.train_x.reshape(20, -1))
    np.testing.assert_array_equal(X[20:], synthetic.test_x.reshape(10, -1))
    np.testing.assert_array_equal(y, np.concatenate([synthetic.train_y, synthetic.test_y]))
    assert fetch_mnist("all", data_home=tmp_path).subset == "all"


def test_fetch_only_needs_files_of_the_subset(tmp_path, synthetic, synthetic_md5):
    _write(tmp_path, {n: synthetic.blobs[n] for n in TEST_FILES})
    assert fetch_mnist("test", data_home=tmp_path, download_if_missing=False).data.shape == (
        10,
        784,
    )
    with pytest.raises(FileNotFoundError):
        fetch_mnist("all", data_home=tmp_path, download_if_missing=False)


def test_missing_files_without_download(tmp_path):
    home = tmp_path / "nowhere"
    with pytest.raises(FileNotFoundError) as excinfo:
        fetch_mnist("all", data_home=home, download_if_missing=False)
    message = str(excinfo.value)
    assert str(home) in message
    for name in FILES:
        assert name in message
    assert not home.exists()  # reading never creates the data home


def test_missing_files_via_env_var(tmp_path, monkeypatch):
    monkeypatch.setenv("SKMNIST_DATA", str(tmp_path / "env_home"))
    with pytest.raises(OSError, match="env_home"):
        fetch_mnist("test", download_if_missing=False)


@pytest.mark.parametrize("damage", ["flip", "truncate", "empty"])
def test_corrupt_local_file_official_checksums(tmp_path, damage):
    """A file that does not have the official MD5 is refused, naming the file."""
    blob = gzip.compress(b"\x00\x00\x08\x01" + struct.pack(">I", 3) + b"\x01\x02\x03", mtime=0)
    blob = {"flip": blob[:-1] + b"\x00", "truncate": blob[:10], "empty": b""}[damage]
    _write(tmp_path, {n: blob for n in TEST_FILES})
    path = os.path.join(str(tmp_path), "t10k-images-idx3-ubyte.gz")
    with pytest.raises(ValueError, match="checksum mismatch") as excinfo:
        fetch_mnist("test", data_home=tmp_path)
    assert path in str(excinfo.value)


@pytest.mark.parametrize("which", TRAIN_FILES)
def test_corrupt_or_truncated_synthetic_file(tmp_path, synthetic, synthetic_md5, which):
    blobs = dict(synthetic.blobs)
    blobs[which] = blobs[which][: len(blobs[which]) - 7]
    _write(tmp_path / "mnist", blobs)
    with pytest.raises(ValueError, match="(?i)checksum mismatch.*(corrupt|truncated)") as exc:
        fetch_mnist("train", data_home=tmp_path)
    assert os.path.join(str(tmp_path), "mnist", which) in str(exc.value)


def _bad_idx(synthetic, kind):
    x, y = synthetic.train_x, synthetic.train_y
    if kind == "images_magic":
        return "train-images-idx3-ubyte.gz", _idx_images(x, magic=0x801)
    if kind == "labels_magic":
        return "train-labels-idx1-ubyte.gz", _idx_labels(y, magic=0x803)
    if kind == "images_short":  # header says 20 images, data holds less
        raw = gzip.decompress(_idx_images(x))[:-5]
        return "train-images-idx3-ubyte.gz", gzip.compress(raw, mtime=0)
    if kind == "images_long":
        raw = gzip.decompress(_idx_images(x)) + b"\x00"
        return "train-images-idx3-ubyte.gz", gzip.compress(raw, mtime=0)
    if kind == "images_shape":
        return "train-images-idx3-ubyte.gz", _idx_images(x.reshape(20, 14, 56))
    if kind == "label_count":
        return "train-labels-idx1-ubyte.gz", _idx_labels(y[:19])
    if kind == "label_value":
        return "train-labels-idx1-ubyte.gz", _idx_labels(y + 1)
    if kind == "not_gzip":
        return "train-images-idx3-ubyte.gz", b"this is not gzip data"
    if kind == "gzip_cut":  # valid checksum-table entry, but the gzip stream ends early
        return "train-images-idx3-ubyte.gz", _idx_images(x)[:-9]
    raise AssertionError(kind)


@pytest.mark.parametrize(
    "kind",
    [
        "images_magic",
        "labels_magic",
        "images_short",
        "images_long",
        "images_shape",
        "label_count",
        "label_value",
        "not_gzip",
        "gzip_cut",
    ],
)
def test_strict_idx_parsing(tmp_path, synthetic, monkeypatch, kind):
    """Even with a matching checksum (table patched), malformed IDX content is refused."""
    name, blob = _bad_idx(synthetic, kind)
    blobs = dict(synthetic.blobs, **{name: blob})
    monkeypatch.setattr(datasets, "MD5_CHECKSUMS", {n: _md5(b) for n, b in blobs.items()})
    _write(tmp_path, blobs)
    with pytest.raises(ValueError, match=r"idx[13]-ubyte\.gz") as excinfo:
        fetch_mnist("train", data_home=tmp_path)
    assert str(tmp_path) in str(excinfo.value)


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"subset": "validation"}, ValueError),
        ({"subset": "TRAIN"}, ValueError),
        ({"subset": 1}, TypeError),
        ({"data_home": 3}, TypeError),
        ({"download_if_missing": "no"}, TypeError),
        ({"return_X_y": "yes"}, TypeError),
    ],
)
def test_fetch_parameter_validation(tmp_path, kwargs, error):
    param = next(iter(kwargs))
    with pytest.raises(error, match=param):
        fetch_mnist(**{"data_home": tmp_path, **kwargs})


def test_fetch_keyword_only():
    with pytest.raises(TypeError):
        fetch_mnist("train", "/tmp")


# ------------------------------------------------------------------------------------------
# downloads, for real, from a local HTTP server
# ------------------------------------------------------------------------------------------


def test_download_verifies_and_caches(
    tmp_path, synthetic, synthetic_md5, http_server, monkeypatch
):
    home = tmp_path / "home"
    monkeypatch.setattr(datasets, "MIRRORS", [http_server.mirror("good")])
    b = fetch_mnist("train", data_home=home)
    np.testing.assert_array_equal(b.images, synthetic.train_x)
    np.testing.assert_array_equal(b.target, synthetic.train_y)
    assert _all_files(home) == sorted(os.path.join("mnist", n) for n in TRAIN_FILES)
    for name in TRAIN_FILES:
        assert _md5((home / "mnist" / name).read_bytes()) == synthetic_md5[name]
    assert sorted(http_server.requests) == sorted(f"/good/{n}" for n in TRAIN_FILES)

    # cached: no further requests, even for a second call
    n_requests = len(http_server.requests)
    X, y = fetch_mnist("train", data_home=home, download_if_missing=False, return_X_y=True)
    np.testing.assert_array_equal(X, b.data)
    # "all" downloads only what is missing (the test files)
    fetch_mnist("all", data_home=home)
    assert sorted(http_server.requests[n_requests:]) == sorted(f"/good/{n}" for n in TEST_FILES)
    assert _all_files(home) == sorted(os.path.join("mnist", n) for n in FILES)


@pytest.mark.parametrize("bad", ["missing", "corrupt", "truncated", "drop", "stall", "refused"])
def test_download_falls_back_to_next_mirror(
    tmp_path, synthetic, synthetic_md5, http_server, monkeypatch, bad
):
    monkeypatch.setattr(datasets, "_DOWNLOAD_TIMEOUT", 0.2)
    first = _closed_port_url() if bad == "refused" else http_server.mirror(bad)
    monkeypatch.setattr(datasets, "MIRRORS", [first, http_server.mirror("good")])
    b = fetch_mnist("test", data_home=tmp_path)
    np.testing.assert_array_equal(b.images, synthetic.test_x)
    np.testing.assert_array_equal(b.target, synthetic.test_y)
    # nothing but the verified files (no partial or temporary file) is left
    assert _all_files(tmp_path) == sorted(os.path.join("mnist", n) for n in TEST_FILES)
    for name in TEST_FILES:
        assert _md5((tmp_path / "mnist" / name).read_bytes()) == synthetic_md5[name]
        assert f"/good/{name}" in http_server.requests
        if bad != "refused":  # the bad mirror was tried first
            assert http_server.requests.index(f"/{bad}/{name}") < http_server.requests.index(
                f"/good/{name}"
            )


@pytest.mark.parametrize("home_exists", [False, True])
def test_download_all_mirrors_fail(
    tmp_path, synthetic, synthetic_md5, http_server, monkeypatch, capfd, home_exists
):
    monkeypatch.setattr(datasets, "_DOWNLOAD_TIMEOUT", 0.2)
    mirrors = [http_server.mirror(m) for m in ("corrupt", "truncated", "drop", "missing")]
    mirrors.append(_closed_port_url())
    monkeypatch.setattr(datasets, "MIRRORS", mirrors)
    home = tmp_path / "home"
    if home_exists:
        (home / "mnist").mkdir(parents=True)
    with pytest.raises(MNISTDownloadError) as excinfo:
        fetch_mnist("train", data_home=home)
    assert isinstance(excinfo.value, OSError)
    message = str(excinfo.value)
    for mirror in mirrors:
        assert mirror in message
    for name in FILES:  # says which files to put where by hand
        assert name in message
    assert str(home) in message
    assert "checksum mismatch" in message.lower() and "truncated" in message.lower()
    # no partial / temporary files; a folder created only for the download is removed again
    if home_exists:
        assert os.listdir(home / "mnist") == []
    else:
        assert not home.exists()
    assert os.listdir(tmp_path) == (["home"] if home_exists else [])
    # quiet by default: failures are in the exception (and at INFO level in the log)
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""


def test_download_with_no_mirrors(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "MIRRORS", [])
    with pytest.raises(MNISTDownloadError, match="MIRRORS is empty"):
        fetch_mnist("test", data_home=tmp_path / "home")
    assert not (tmp_path / "home" / "mnist").exists()


def test_default_mirrors_are_https():
    assert len(_DEFAULT_MIRRORS) >= 2
    assert all(m.startswith("https://") and m.endswith("/") for m in _DEFAULT_MIRRORS)


# ------------------------------------------------------------------------------------------
# the embedded sample
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("subset, n", [("train", 5000), ("test", 1000), ("all", 6000)])
def test_load_mnist_sample(subset, n):
    b = load_mnist_sample(subset)
    assert b.data.shape == (n, 784) and b.data.dtype == np.uint8
    assert b.images.shape == (n, 28, 28) and b.images.dtype == np.uint8
    assert np.shares_memory(b.images, b.data)
    assert b.target.shape == (n,) and b.target.dtype == np.int64
    assert b.official_index.shape == (n,) and b.official_index.dtype == np.int64
    np.testing.assert_array_equal(b.target_names, np.arange(10))
    assert len(b.feature_names) == 784 and b.feature_names[0] == "pixel_0_0"
    assert b.subset == subset
    for words in ("Yann LeCun", "Corinna Cortes", "CC BY-SA 3.0", "stratified", "5,000", "1,000"):
        assert words in b.DESCR
    assert 25 < b.data.mean() < 40  # MNIST-like images, not noise or blanks


@pytest.mark.parametrize(
    "subset, counts, size", [("train", TRAIN_COUNTS, 60000), ("test", TEST_COUNTS, 10000)]
)
def test_sample_is_stratified_and_indexed(subset, counts, size):
    b = load_mnist_sample(subset)
    n = len(b.target)
    expected = np.asarray(counts) * n / size
    observed = np.bincount(b.target, minlength=10)
    assert observed.sum() == n
    assert np.all(np.abs(observed - expected) <= 1), (observed, expected)
    idx = b.official_index
    assert np.all(np.diff(idx) > 0)  # unique, in official order
    assert idx[0] >= 0 and idx[-1] < size


def test_sample_all_and_return_X_y():
    train, test, both = (load_mnist_sample(s) for s in ("train", "test", "all"))
    np.testing.assert_array_equal(both.data, np.concatenate([train.data, test.data]))
    np.testing.assert_array_equal(both.target, np.concatenate([train.target, test.target]))
    np.testing.assert_array_equal(
        both.official_index, np.concatenate([train.official_index, test.official_index + 60000])
    )
    X, y = load_mnist_sample("test", return_X_y=True)
    np.testing.assert_array_equal(X, test.data)
    np.testing.assert_array_equal(y, test.target)


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"subset": "validation"}, ValueError),
        ({"subset": None}, TypeError),
        ({"return_X_y": "yes"}, TypeError),
    ],
)
def test_load_sample_parameter_validation(kwargs, error):
    with pytest.raises(error, match=next(iter(kwargs))):
        load_mnist_sample(**kwargs)


def test_import_and_sample_need_no_network_or_data_home(tmp_path):
    """In a fresh interpreter with sockets disabled: import, load the sample, touch no disk."""
    code = """
import socket
def _no_network(*args, **kwargs):
    raise AssertionError("network access")
socket.socket.connect = _no_network
socket.create_connection = _no_network
socket.getaddrinfo = _no_network
import skmnist
X, y = skmnist.load_mnist_sample("all", return_X_y=True)
assert X.shape == (6000, 784), X.shape
import skmnist.datasets
"""
    env = dict(os.environ, HOME=str(tmp_path / "home"), SKMNIST_DATA=str(tmp_path / "data"))
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "home").exists() and not (tmp_path / "data").exists()


# ------------------------------------------------------------------------------------------
# the official files (SKMNIST_DATA); skipped when they are not there
# ------------------------------------------------------------------------------------------


def _pixel_mean_std(data):
    """Mean and std of all pixels without a float64 copy of the whole array."""
    n = data.size
    total = float(data.sum(dtype=np.float64))
    squares = sum(
        float(np.square(chunk, dtype=np.float32).sum(dtype=np.float64))
        for chunk in np.array_split(data, 16)
    )
    mean = total / n
    return mean, np.sqrt(squares / n - mean**2)


@pytest.fixture(scope="module")
def official(request):
    """Official train and test sets (read once per module)."""
    home = request.getfixturevalue("mnist_data_home")
    return SimpleNamespace(
        home=home,
        train=fetch_mnist("train", data_home=home, download_if_missing=False),
        test=fetch_mnist("test", data_home=home, download_if_missing=False),
    )


@pytest.mark.full_mnist
def test_official_train(official):
    b = official.train
    assert b.data.shape == (60000, 784) and b.data.dtype == np.uint8
    assert b.images.shape == (60000, 28, 28) and np.shares_memory(b.images, b.data)
    assert b.target.shape == (60000,) and b.target.dtype == np.int64
    assert np.bincount(b.target).tolist() == TRAIN_COUNTS
    mean, std = _pixel_mean_std(b.data)
    assert mean == pytest.approx(33.318, abs=1e-3)
    assert std == pytest.approx(78.567, abs=1e-3)
    assert mean / 255 == pytest.approx(0.1307, abs=1e-4)
    assert b.target[:5].tolist() == [5, 0, 4, 1, 9]  # official order


@pytest.mark.full_mnist
def test_official_test(official):
    b = official.test
    assert b.data.shape == (10000, 784) and b.images.shape == (10000, 28, 28)
    assert np.bincount(b.target).tolist() == TEST_COUNTS
    assert b.target[:5].tolist() == [7, 2, 1, 0, 4]


@pytest.mark.full_mnist
def test_official_all_is_train_then_test(official):
    X, y = fetch_mnist("all", data_home=official.home, return_X_y=True)
    assert X.shape == (70000, 784) and y.shape == (70000,)
    assert np.array_equal(X[:60000], official.train.data)
    assert np.array_equal(X[60000:], official.test.data)
    np.testing.assert_array_equal(y, np.concatenate([official.train.target, official.test.target]))


@pytest.mark.full_mnist
def test_official_through_env_var(official, monkeypatch):
    monkeypatch.setenv("SKMNIST_DATA", official.home)
    X, y = fetch_mnist("test", download_if_missing=False, return_X_y=True)
    assert np.array_equal(X, official.test.data)


@pytest.mark.full_mnist
def test_sample_drawn_from_official_sets(official):
    for subset, full in (("train", official.train), ("test", official.test)):
        s = load_mnist_sample(subset)
        np.testing.assert_array_equal(s.data, full.data[s.official_index])
        np.testing.assert_array_equal(s.target, full.target[s.official_index])
    s = load_mnist_sample("all")
    full_target = np.concatenate([official.train.target, official.test.target])
    np.testing.assert_array_equal(s.target, full_target[s.official_index])


@pytest.mark.full_mnist
def test_download_official_files_from_local_server(official, tmp_path, http_server, monkeypatch):
    """The real gz files, served over HTTP and checked against the official checksums."""
    for name in TEST_FILES:
        path = os.path.join(official.home, name)
        if not os.path.isfile(path):
            path = os.path.join(official.home, "mnist", name)
        with open(path, "rb") as f:
            http_server.blobs[name] = f.read()
    mirrors = [http_server.mirror("truncated"), http_server.mirror("good")]
    monkeypatch.setattr(datasets, "MIRRORS", mirrors)
    b = fetch_mnist("test", data_home=tmp_path)
    assert np.array_equal(b.data, official.test.data)
    assert _all_files(tmp_path) == sorted(os.path.join("mnist", n) for n in TEST_FILES)
