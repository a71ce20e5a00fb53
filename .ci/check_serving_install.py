"""Check a serving install (requirements/serve.txt + ``pip install --no-deps .``): no
TensorFlow, and ``skmnist predict`` and ``skmnist serve`` work with a saved model.

Run with the serving environment's Python:

    SERVE_VENV/bin/python .ci/check_serving_install.py MODEL_FILE

Standard library, NumPy and Pillow only.  Traffic only to 127.0.0.1.
"""

import importlib.util
import io
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import numpy as np
from PIL import Image


def main(model):
    assert importlib.util.find_spec("tensorflow") is None, "TensorFlow is importable"
    script = os.path.join(os.path.dirname(sys.executable), "skmnist")
    # A dark "1" on white paper.
    canvas = np.full((60, 40), 255, np.uint8)
    canvas[10:50, 18:22] = 0
    folder = tempfile.mkdtemp()
    path = os.path.join(folder, "one.png")
    Image.fromarray(canvas).save(path)

    done = subprocess.run([script, "predict", "--model", model, path], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    print(f"skmnist predict: {done.stdout.strip()}")
    # The shipped model, as a fresh install reads a person's file: no --model.
    done = subprocess.run([script, "predict", path], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"{path}: 1 (probability "), done.stdout
    print(f"skmnist predict (shipped model): {done.stdout.strip()}")

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen([script, "serve", "--model", model, "--port", str(port),
                               "--log-level", "warning"], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, server.stdout.read()
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "skmnist serve did not start"
            time.sleep(0.2)
        buffer = io.BytesIO()
        Image.fromarray(canvas).save(buffer, "PNG")
        request = urllib.request.Request(f"{base}/predict", data=buffer.getvalue(),
                                         headers={"Content-Type": "image/png"})
        with urllib.request.urlopen(request, timeout=60) as response:
            answer = json.load(response)
        prediction = answer["predictions"][0]
        assert set(prediction) >= {"digit", "probabilities", "novelty"}, answer
        print(f"skmnist serve: POST /predict -> digit {prediction['digit']}")
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=60)
    assert server.returncode == 0, f"exit status {server.returncode}: {output}"
    print("skmnist serve: exit status 0 after SIGTERM")


if __name__ == "__main__":
    main(sys.argv[1])
