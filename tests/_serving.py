"""Helpers of the serving tests: a real ``skmnist serve`` process on a free port of
127.0.0.1, and plain HTTP requests to it (the standard library's http.client)."""

import base64
import http.client
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid

import numpy as np
from conftest import PACKAGE_PARENT, REPO


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """``skmnist serve --model PATH`` in a child process, started and waited for."""

    def __init__(self, model_path, *options, startup_timeout=60):
        self.port = free_port()
        env = dict(os.environ, PYTHONPATH=PACKAGE_PARENT)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "skmnist", "serve", "--model", str(model_path),
             "--port", str(self.port), "--log-level", "warning", "--no-access-log", *options],
            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        deadline = time.monotonic() + startup_timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited at start: {self.process.stdout.read()}")
            try:
                if self.request("GET", "/health")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.process.kill()
                raise RuntimeError("the server did not answer /health in time")
            time.sleep(0.1)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/"

    def connection(self, timeout=60):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, connection=None):
        """``(status, decoded JSON or text)`` of one request."""
        conn = connection or self.connection()
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            data = response.read()
        finally:
            if connection is None:
                conn.close()
        if response.getheader("content-type", "").startswith("application/json"):
            return response.status, json.loads(data)
        return response.status, data.decode()

    def post_json(self, payload, path="/predict", **kwargs):
        return self.request("POST", path, json.dumps(payload).encode(),
                            {"Content-Type": "application/json"}, **kwargs)

    def post_files(self, files, path="/predict", **kwargs):
        body, content_type = multipart(files)
        return self.request("POST", path, body, {"Content-Type": content_type}, **kwargs)

    def stop(self, sig=signal.SIGTERM, timeout=60):
        """Send ``sig``; return the exit status and the output."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            output, _ = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            output, _ = self.process.communicate()
        return self.process.returncode, output


def multipart(files):
    """A multipart/form-data body of ``[(field, filename, bytes), ...]``."""
    boundary = uuid.uuid4().hex
    parts = []
    for field, filename, data in files:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
            + data + b"\r\n"
        )
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), (
        f"multipart/form-data; boundary={boundary}"
    )


def png(array, format="PNG", **options):
    """An image file's bytes (PNG by default) of a uint8 array."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.asarray(array, dtype=np.uint8)).save(buffer, format, **options)
    return buffer.getvalue()


def b64(data):
    return base64.b64encode(data).decode()


def as_paper_digit(row, scale=8):
    """An MNIST row as a photo-like image: dark ink on white paper, ``scale`` times larger."""
    from PIL import Image

    image = Image.fromarray(255 - np.asarray(row, np.uint8).reshape(28, 28))
    return np.asarray(image.resize((28 * scale, 28 * scale), Image.Resampling.BILINEAR))
