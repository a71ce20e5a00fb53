"""``skmnist serve`` under load, beside the same network served without skmnist.

Two real server processes on 127.0.0.1, one after the other, each serving the same fitted
network:

``skmnist serve``
    ``python -m skmnist serve --model MODEL --no-access-log`` (one process; prediction runs
    on the estimator's NumPy copy of the network, in Starlette's thread pool).
``Keras model.predict``
    what a user would write without skmnist: a Starlette endpoint on uvicorn (the same
    versions) that reads the JSON, scales the pixels to [0, 1] and calls Keras's
    ``model.predict`` on the estimator's ``model_`` (then a softmax of the logits): this
    script started with ``--baseline-server``.

Concurrent clients (asyncio, one keep-alive HTTP/1.1 connection each, in this process) send
the same requests to both: one image as MNIST's 784 grey levels in JSON
(``{"pixels": [...]}``, the payload both servers understand) at 1, 8 and 32 clients; a batch
of 100 such rows at 8 clients; and, for skmnist only, one 84x84 PNG of a digit on paper
(multipart; framed by ``DigitNormalizer`` on the server) at 8 clients.  Per run: requests,
failures (any status but 200, any connection error), throughput, and latency p50 / p99.
skmnist's 8-client run of one image is 10,000 requests, and the server's resident memory
(``VmRSS``) is read after a warm-up of 500 requests and after those 10,000.

Targets on 2 cores: throughput at 8 clients >= 10x the Keras server's, p99 <= 50 ms for one
image at 8 clients, 0 failed requests of 10,000, memory growth <= 10 MB.

    python benchmarks/bench_serve.py [--model FILE]
    python benchmarks/bench_serve.py --quick

Without ``--model``, the default ``FCNClassifier`` (784-400-20-10) is trained for 2 epochs on
the embedded sample behind a ``PixelScaler`` and saved to a temporary folder.  Every run is
bounded in requests and in seconds (the Keras server gets fewer requests: it is slow).
``--quick`` (for CI): a few hundred requests per run.  Prints the table as markdown and saves
``benchmarks/results/serve.json`` (``serve_quick.json`` with ``--quick``) with the commit,
skmnist's version, the date, the machine and the exact command.
"""

import argparse
import asyncio
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from _common import run_provenance, save  # noqa: E402


# --------------------------------------------------------------------- the baseline server
def baseline_server(model_path, port):
    """The network served as a user would without skmnist: Keras's model.predict."""
    import joblib
    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    model = joblib.load(model_path)
    network = model[-1].model_  # the Keras model (imports TensorFlow)
    classes = model.classes_.tolist()

    async def predict(request):
        payload = await request.json()
        x = np.asarray(payload["pixels"], dtype=np.float32).reshape(-1, 784) / 255.0
        logits = network.predict(x, verbose=0)
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        proba = e / e.sum(axis=1, keepdims=True)
        return JSONResponse({"classes": classes, "predictions": [
            {"digit": classes[int(p.argmax())], "probabilities": p.tolist()} for p in proba
        ]})

    async def health(request):
        return JSONResponse({"status": "ok"})

    app = Starlette(routes=[Route("/predict", predict, methods=["POST"]),
                            Route("/health", health)])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


# ---------------------------------------------------------------------------- the clients
def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _request_bytes(path, body, content_type):
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


async def _client(port, request, state, latencies):
    """One keep-alive connection sending ``request`` until the run's budget is spent."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while state["sent"] < state["limit"] and time.perf_counter() < state["deadline"]:
            state["sent"] += 1
            start = time.perf_counter()
            try:
                writer.write(request)
                await writer.drain()
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head.split(b" ", 2)[1])
                length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length:"))
                await reader.readexactly(length)
            except (OSError, asyncio.IncompleteReadError, ValueError, StopIteration):
                state["failed"] += 1
                return
            latencies.append(time.perf_counter() - start)
            if status != 200:
                state["failed"] += 1
    finally:
        writer.close()


def load(port, request, clients, limit, seconds):
    """``clients`` connections sending ``request`` ``limit`` times in all (at most
    ``seconds``); the run's numbers."""
    state = {"sent": 0, "failed": 0, "limit": limit,
             "deadline": time.perf_counter() + seconds}
    latencies = []

    async def run():
        await asyncio.gather(*(_client(port, request, state, latencies)
                               for _ in range(clients)))

    start = time.perf_counter()
    asyncio.run(run())
    elapsed = time.perf_counter() - start
    lat = np.array(latencies) * 1000
    return {
        "clients": clients,
        "requests": len(latencies),
        "failed": state["failed"],
        "seconds": round(elapsed, 2),
        "throughput_rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(float(np.percentile(lat, 50)), 2) if len(lat) else None,
        "p99_ms": round(float(np.percentile(lat, 99)), 2) if len(lat) else None,
    }


# ---------------------------------------------------------------------------- the servers
class Process:
    def __init__(self, argv, port):
        self.port = port
        self.process = subprocess.Popen(argv, cwd=REPO, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 180
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.process.stderr.read()}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                    sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                    if b" 200 " in sock.recv(1024):
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.process.kill()
                raise RuntimeError("the server did not start in 180 s")
            time.sleep(0.2)

    def rss_mb(self):
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


# ------------------------------------------------------------------------------ the runs
def _payloads():
    import io

    from PIL import Image

    from skmnist import load_mnist_sample

    X_test, _ = load_mnist_sample("test", return_X_y=True)
    one = json.dumps({"pixels": X_test[0].tolist()}).encode()
    batch = json.dumps({"pixels": X_test[:100].tolist()}).encode()
    paper = Image.fromarray(255 - X_test[0].reshape(28, 28)).resize((84, 84))
    buffer = io.BytesIO()
    paper.save(buffer, "PNG")
    boundary = "benchboundary"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="image"; '
            'filename="digit.png"\r\nContent-Type: image/png\r\n\r\n').encode()
    body += buffer.getvalue() + f"\r\n--{boundary}--\r\n".encode()
    return {
        "one": _request_bytes("/predict", one, "application/json"),
        "batch": _request_bytes("/predict", batch, "application/json"),
        "png": _request_bytes("/predict", body, f"multipart/form-data; boundary={boundary}"),
    }


def _train_default(folder):
    import joblib
    from sklearn.pipeline import make_pipeline

    from skmnist import FCNClassifier, PixelScaler, load_mnist_sample

    X, y = load_mnist_sample(return_X_y=True)
    model = make_pipeline(PixelScaler(), FCNClassifier(epochs=2, random_state=0)).fit(X, y)
    path = os.path.join(folder, "model.joblib")
    joblib.dump(model, path)
    return path


def _machine():
    import importlib.metadata as md

    versions = {}
    for name in ("numpy", "scipy", "scikit-learn", "starlette", "uvicorn", "pillow",
                 "tensorflow", "keras"):
        try:
            versions[name] = md.version(name)
        except md.PackageNotFoundError:
            versions[name] = None
    return {"cpu_count": os.cpu_count(), "platform": platform.platform(),
            "python": platform.python_version(), **versions,
            # Other work on the machine shows in the latencies: record how busy it was.
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()]}



def markdown_table(runs):
    lines = ["| server | request | clients | requests | failed | req/s | p50 (ms) | p99 (ms) |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in runs:
        lines.append(
            f"| {r['server']} | {r['request']} | {r['clients']} | {r['requests']:,} | "
            f"{r['failed']} | {r['throughput_rps']:,.1f} | {r['p50_ms']} | {r['p99_ms']} |"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="a saved model (default: train one, see above)")
    parser.add_argument("--quick", action="store_true", help="few requests (CI)")
    parser.add_argument("--baseline-server", nargs=2, metavar=("MODEL", "PORT"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.baseline_server:
        return baseline_server(args.baseline_server[0], int(args.baseline_server[1]))


    started = time.perf_counter()
    run_provenance()  # before the run: the code that was measured
    machine = _machine()
    quick = args.quick
    # (request, clients, requests for skmnist, requests for Keras); every run <= max seconds
    plan = [("one", 1, 2_000, 300), ("one", 8, 10_000, 600), ("one", 32, 5_000, 600),
            ("batch", 8, 200, 100), ("png", 8, 2_000, 0)]
    if quick:
        plan = [(kind, c, min(n, 200), min(k, 40)) for kind, c, n, k in plan]
    max_seconds = 30 if quick else 120
    labels = {"one": "1 image (784 pixels, JSON)", "batch": "100 images (pixels, JSON)",
              "png": "1 image (84x84 PNG, multipart)"}
    payloads = _payloads()
    with tempfile.TemporaryDirectory() as folder:
        model_path = args.model or _train_default(folder)
        env_python = sys.executable
        servers = {
            "skmnist serve": [env_python, "-m", "skmnist", "serve", "--model", model_path,
                              "--log-level", "warning", "--no-access-log"],
            "Keras model.predict": [env_python, os.path.abspath(__file__),
                                    "--baseline-server", model_path],
        }
        runs, memory = [], None
        for name, command in servers.items():
            port = _free_port()
            ours = name == "skmnist serve"
            server = Process([*command, *(["--port"] if ours else []), str(port)], port)
            try:
                warm = load(port, payloads["one"], 8, 500 if not quick else 50, max_seconds)
                rss_before = server.rss_mb()
                for kind, clients, n_ours, n_keras in plan:
                    n = n_ours if ours else n_keras
                    if n == 0:
                        continue
                    run = load(port, payloads[kind], clients, n, max_seconds)
                    run.update(server=name, request=labels[kind], kind=kind)
                    runs.append(run)
                    print(f"{name:<20} {labels[kind]:<32} {clients:>3} clients: "
                          f"{run['requests']:>6} requests, {run['failed']} failed, "
                          f"{run['throughput_rps']:>8.1f} req/s, p50 {run['p50_ms']} ms, "
                          f"p99 {run['p99_ms']} ms", flush=True)
                    if ours and kind == "one" and clients == 8:
                        memory = {"rss_after_warmup_mb": round(rss_before, 1),
                                  "rss_after_run_mb": round(server.rss_mb(), 1),
                                  "requests": run["requests"] + warm["requests"]}
                        memory["growth_mb"] = round(
                            memory["rss_after_run_mb"] - memory["rss_after_warmup_mb"], 1)
            finally:
                status = server.stop()
            print(f"{name}: exit status {status} after SIGTERM", flush=True)
    one8 = {r["server"]: r for r in runs if r["kind"] == "one" and r["clients"] == 8}
    ratio = one8["skmnist serve"]["throughput_rps"] / one8["Keras model.predict"][
        "throughput_rps"]
    skm = one8["skmnist serve"]
    targets = {
        "throughput_ratio_8_clients": round(ratio, 1),
        "throughput_ratio_ok": ratio >= 10,
        "p99_ms_8_clients": skm["p99_ms"],
        "p99_ok": skm["p99_ms"] <= 50,
        "failed_of_requests": [skm["failed"], skm["requests"]],
        "failed_ok": skm["failed"] == 0,
        "memory_growth_mb": memory["growth_mb"],
        "memory_ok": memory["growth_mb"] <= 10,
    }
    table = markdown_table(runs)
    print("\n" + table)
    print(f"\nskmnist / Keras throughput at 8 clients: {ratio:.1f}x (target >= 10x); p99 "
          f"{skm['p99_ms']} ms (target <= 50); failed {skm['failed']} of {skm['requests']:,}; "
          f"resident memory {memory['rss_after_warmup_mb']} -> {memory['rss_after_run_mb']} MB "
          f"after {memory['requests']:,} requests (growth {memory['growth_mb']} MB, target "
          "<= 10)")
    results = {
        "machine": machine,
        "quick": quick,
        "model": args.model or "FCNClassifier(epochs=2, random_state=0) on the sample",
        "runs": runs,
        "memory": memory,
        "targets": targets,
        "seconds": round(time.perf_counter() - started, 1),
        "markdown": table,
    }
    save("serve_quick" if quick else "serve", results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
