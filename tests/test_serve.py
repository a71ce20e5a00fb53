"""``skmnist serve``: the JSON API against a real server process on 127.0.0.1.

Every input form, every error (a 4xx with a JSON message, and the server still serving after
it), the limits, concurrent clients, graceful shutdown, and a serving process that never
imports TensorFlow.  The browser tests of the page are in test_serve_page.py.
"""

import importlib.util
import json
import signal
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import joblib
import numpy as np
import pytest
from _internals import Batch, Batcher, RequestError, decode_image, frame_images
from _serving import Server, as_paper_digit, b64, png
from sklearn.pipeline import make_pipeline

from skmnist import FCNClassifier, MDNClassifier, PixelScaler, load_mnist_sample
from skmnist.serve import ServedModel, create_app, load_model


@pytest.fixture(scope="module")
def digits():
    X, y = load_mnist_sample(return_X_y=True)
    X_test, y_test = load_mnist_sample("test", return_X_y=True)
    return X, y, X_test, y_test


@pytest.fixture(scope="module")
def model(digits):
    X, y, _, _ = digits
    clf = FCNClassifier(hidden_layer_sizes=(64,), epochs=3, random_state=0)
    return make_pipeline(PixelScaler(), clf).fit(X, y)


@pytest.fixture(scope="module")
def model_path(model, tmp_path_factory):
    path = tmp_path_factory.mktemp("served") / "model.joblib"
    joblib.dump(model, path)
    return path


@pytest.fixture(scope="module")
def server(model_path):
    server = Server(model_path)
    yield server
    status, output = server.stop()
    assert status == 0, output


def _expected(model, images):
    """What skmnist predict answers for raw images: framed, then the model's probabilities."""
    framed, failures = frame_images(images)
    assert not failures
    X = np.rint(framed.reshape(len(images), -1) * 255).astype(np.uint8)
    return X, model.predict_proba(X)


def _check(answer, model, proba, X=None):
    assert answer["classes"] == model.classes_.tolist()
    predictions = answer["predictions"]
    assert len(predictions) == len(proba)
    for result, row in zip(predictions, proba):
        assert np.allclose(result["probabilities"], row, rtol=1e-6, atol=1e-9)
        assert result["digit"] == int(model.classes_[row.argmax()])
        assert result["probability"] == pytest.approx(row.max())
        assert 0 <= result["novelty"] <= 1
        assert result["novel"] == (result["novelty"] > 0.99)
    if X is not None:
        assert [r["image"] for r in predictions] == X.tolist()


def test_every_input_form_is_answered_as_skmnist_predict_would(server, model, digits):
    _, _, X_test, y_test = digits
    images = [as_paper_digit(row) for row in X_test[:3]]
    files = [png(image) for image in images]
    X, proba = _expected(model, images)
    assert (proba.argmax(axis=1) == y_test[:3]).sum() >= 2  # the framing keeps the digits

    status, answer = server.post_files([("image", f"{i}.png", f) for i, f in enumerate(files)],
                                       path="/predict?image=true")
    assert status == 200
    _check(answer, model, proba, X)
    status, answer = server.post_json({"images": [b64(f) for f in files]})
    assert status == 200
    _check(answer, model, proba)
    # One image: base64 as a data: URL (a canvas's toDataURL), and a bare image/png body.
    status, answer = server.post_json({"image": "data:image/png;base64," + b64(files[1])})
    assert status == 200
    _check(answer, model, proba[1:2])
    status, answer = server.request("POST", "/predict", files[2], {"Content-Type": "image/png"})
    assert status == 200
    _check(answer, model, proba[2:3])
    # A JPEG of the same digit reads as the same digit.
    status, answer = server.post_files([("f", "d.jpg", png(images[0], "JPEG", quality=95))])
    assert status == 200 and answer["predictions"][0]["digit"] == int(proba[0].argmax())


def test_pixel_rows_go_to_the_model_as_they_are(server, model, digits):
    _, _, X_test, _ = digits
    status, answer = server.post_json({"pixels": X_test[:5].tolist()})
    assert status == 200
    _check(answer, model, model.predict_proba(X_test[:5]))
    status, answer = server.post_json({"pixels": (X_test[7] / 1.0).tolist()})  # one row
    assert status == 200
    _check(answer, model, model.predict_proba(X_test[7:8]))


def test_a_blank_image_is_a_422_alone_and_an_error_entry_in_a_batch(server, model, digits):
    _, _, X_test, _ = digits
    blank = png(np.full((40, 40), 255))
    status, answer = server.post_files([("a", "blank.png", blank)])
    assert status == 422
    assert "blank" in answer["error"] and "blank" in answer["predictions"][0]["error"]
    digit = as_paper_digit(X_test[0])
    status, answer = server.post_files([("a", "blank.png", blank), ("b", "d.png", png(digit))])
    assert status == 200
    assert "image 0" in answer["predictions"][0]["error"]
    _check({"classes": answer["classes"], "predictions": answer["predictions"][1:]}, model,
           _expected(model, [digit])[1])


def _bomb():
    """A PNG of a few kilobytes that decompresses into 400 million pixels."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(buffer, "PNG")
    return buffer.getvalue()


BAD_REQUESTS = [
    # (what, method, path, body, content type, status, words in the message)
    ("bad JSON", "POST", "/predict", b'{"pixels": [1, 2', "application/json", 400, "JSON"),
    ("JSON of no known form", "POST", "/predict", b'{"digits": []}', "application/json", 400,
     '"images"'),
    ("JSON not an object", "POST", "/predict", b"[1, 2]", "application/json", 400, '"pixels"'),
    ("wrong row length", "POST", "/predict", json.dumps({"pixels": [[0] * 783]}).encode(),
     "application/json", 400, "784"),
    ("ragged rows", "POST", "/predict", json.dumps({"pixels": [[0] * 784, [0]]}).encode(),
     "application/json", 400, "784"),
    ("pixels out of range", "POST", "/predict", json.dumps({"pixels": [[256] * 784]}).encode(),
     "application/json", 400, "[0, 255]"),
    ("pixels not numbers", "POST", "/predict", json.dumps({"pixels": [["a"] * 784]}).encode(),
     "application/json", 400, "784"),
    ("no images", "POST", "/predict", b'{"images": []}', "application/json", 400, "no image"),
    ("images not a list", "POST", "/predict", b'{"images": "abc"}', "application/json", 400,
     "list"),
    ("not base64", "POST", "/predict", b'{"image": "###"}', "application/json", 400, "base64"),
    ("base64 of a number", "POST", "/predict", b'{"image": 7}', "application/json", 400,
     "base64"),
    ("not an image", "POST", "/predict", json.dumps({"image": b64(b"hello")}).encode(),
     "application/json", 400, "not an image"),
    ("a truncated PNG", "POST", "/predict", None, "image/png", 400, "unreadable"),
    ("an empty body", "POST", "/predict", b"", "image/png", 400, "empty"),
    ("text", "POST", "/predict", b"seven", "text/plain", 415, "Content-Type"),
    ("no content type", "POST", "/predict", b"seven", None, 415, "Content-Type"),
    ("broken multipart", "POST", "/predict", b"--x\r\n", "multipart/form-data", 400,
     "multipart"),
    ("a decompression bomb", "POST", "/predict", "bomb", "image/png", 413, "pixels"),
    ("GET /predict", "GET", "/predict", None, None, 405, "Method Not Allowed"),
    ("an unknown path", "GET", "/nothing", None, None, 404, "Not Found"),
]


@pytest.mark.parametrize("case", BAD_REQUESTS, ids=[case[0] for case in BAD_REQUESTS])
def test_every_bad_request_is_a_4xx_with_a_json_message(server, digits, case):
    _, method, path, body, content_type, expected, words = case
    if body is None and method == "POST":
        body = png(as_paper_digit(digits[2][0]))[:200]
    if body == "bomb":
        body = _bomb()
        assert len(body) < 100_000
    status, answer = server.request(method, path, body,
                                    {"Content-Type": content_type} if content_type else {})
    assert status == expected, answer
    assert isinstance(answer, dict) and words in answer["error"], answer
    # ... and the server keeps serving.
    status, answer = server.post_json({"pixels": digits[2][:1].tolist()})
    assert status == 200 and len(answer["predictions"]) == 1


def test_limits_are_configurable(model_path, digits):
    _, _, X_test, _ = digits
    digit = png(as_paper_digit(X_test[0], scale=3))  # 84x84 = 7,056 pixels
    server = Server(model_path, "--max-body-bytes", "60000", "--max-pixels", "10000",
                    "--max-images", "3")
    try:
        status, answer = server.post_json({"pixels": X_test[:4].tolist()})
        assert status == 413 and "3" in answer["error"]
        status, answer = server.post_files([("f", f"{i}.png", digit) for i in range(4)])
        assert status == 413 and "images" in answer["error"]
        status, _ = server.post_files([("f", f"{i}.png", digit) for i in range(3)])
        assert status == 200
        big = png(as_paper_digit(X_test[0], scale=4))  # 112x112 = 12,544 pixels
        status, answer = server.request("POST", "/predict", big, {"Content-Type": "image/png"})
        assert status == 413 and "12,544" in answer["error"]
        status, answer = server.post_json({"pixels": [[0] * 784] * 3, "pad": "x" * 60_000})
        assert status == 413 and "60,000 bytes" in answer["error"]
        # A chunked body (no Content-Length) is counted as it streams in.
        conn = server.connection()
        conn.putrequest("POST", "/predict")
        conn.putheader("Content-Type", "image/png")
        conn.putheader("Transfer-Encoding", "chunked")
        conn.endheaders()
        try:
            for _ in range(8):
                conn.send(b"2710\r\n" + b"\0" * 10_000 + b"\r\n")
            conn.send(b"0\r\n\r\n")
        except OSError:
            pass  # the server may answer and close before the last chunks
        response = conn.getresponse()
        assert response.status == 413 and b"60,000 bytes" in response.read()
        conn.close()
        assert server.request("GET", "/health") == (200, {"status": "ok"})
    finally:
        status, output = server.stop()
    assert status == 0, output


def test_concurrent_clients_all_get_their_own_answers(server, model, digits):
    _, _, X_test, _ = digits
    proba = model.predict_proba(X_test[:64])

    def client(start):
        conn = server.connection()
        try:
            for i in range(start, start + 8):
                status, answer = server.post_json({"pixels": X_test[i:i + 1].tolist()},
                                                  connection=conn)
                assert status == 200
                assert np.allclose(answer["predictions"][0]["probabilities"], proba[i],
                                   rtol=1e-6, atol=1e-9)
        finally:
            conn.close()
        return True

    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(client, range(0, 64, 8)))


def test_sigterm_lets_the_request_in_flight_finish_then_exits_0(model_path, digits):
    _, _, X_test, _ = digits
    # A slow request: 40 large images to frame (about a second or more on 2 cores).
    files = [("f", f"{i}.png", png(as_paper_digit(row, scale=36)))
             for i, row in enumerate(X_test[:40])]
    server = Server(model_path)
    answer = {}

    def slow():
        answer["result"] = server.post_files(files)

    thread = threading.Thread(target=slow)
    started = time.monotonic()
    thread.start()
    time.sleep(0.4)  # the request is being processed
    status, output = server.stop(signal.SIGTERM)
    thread.join(60)
    assert status == 0, output
    assert answer["result"][0] == 200, answer
    assert len(answer["result"][1]["predictions"]) == 40
    assert time.monotonic() - started > 0.4
    with pytest.raises(OSError):  # and it is gone
        socket.create_connection(("127.0.0.1", server.port), timeout=2).close()


def test_sigint_exits_0(model_path):
    server = Server(model_path)
    status, output = server.stop(signal.SIGINT)
    assert status == 0, output


def test_health_model_openapi_and_page(server, model):
    assert server.request("GET", "/health") == (200, {"status": "ok"})
    status, info = server.request("GET", "/model")
    assert status == 200
    assert info["classes"] == model.classes_.tolist()
    assert info["steps"] == ["PixelScaler", "FCNClassifier"]
    assert info["classifier"]["params"]["hidden_layer_sizes"] == [64]
    assert info["novelty"] is True and info["mixture"] is False
    assert info["source"] == "model.joblib"
    import skmnist

    assert info["skmnist_version"] == skmnist.__version__
    status, schema = server.request("GET", "/openapi.json")
    assert status == 200 and schema["openapi"].startswith("3.")
    assert {"/predict", "/health", "/model"} <= set(schema["paths"])
    status, page = server.request("GET", "/")
    assert status == 200 and "<canvas" in page
    # The page works offline: it references nothing outside itself.
    for scheme in ("http://", "https://", "//cdn", "src=\"http"):
        assert scheme not in page.replace('xmlns="http://www.w3.org', "")


def test_a_skops_file_is_served_like_its_joblib_twin(model, tmp_path, digits):
    pytest.importorskip("skops")
    from skmnist.persistence import dump

    dump(model, tmp_path / "model.skops")
    loaded = load_model(tmp_path / "model.skops")
    X = digits[2][:3]
    assert np.array_equal(loaded.predict_proba(X), model.predict_proba(X))
    with pytest.raises(ValueError, match="cannot load a model"):
        (tmp_path / "junk.joblib").write_bytes(b"not a pickle")
        load_model(tmp_path / "junk.joblib")
    with pytest.raises(ValueError, match="no model file"):
        load_model(tmp_path / "missing.joblib")
    with pytest.raises(TypeError, match="not a fitted classifier"):
        ServedModel(PixelScaler())


def test_a_mixture_density_network_answers_with_its_mixture(digits):
    X, y, X_test, _ = digits
    mdn = make_pipeline(PixelScaler(), MDNClassifier(hidden_layer_sizes=(32,), epochs=2,
                                                     random_state=0)).fit(X[:2000], y[:2000])
    served = ServedModel(mdn)
    assert served.has_mixture and served.describe()["mixture"] is True
    results = served.answer(Batch(pixels=X_test[:2].astype(np.float32)))
    params = mdn[-1].mixture_params(mdn[0].transform(X_test[:2]))
    for row, result in enumerate(results):
        mixture = result["mixture"]
        assert np.allclose(mixture["means"], params["means"][row])
        x, density = np.array(mixture["x"]), np.array(mixture["density"])
        assert x[0] == -0.5 and x[-1] == 9.5 and (density >= 0).all()
        # The density is the mixture's: sum_k w_k N(x; mean_k, scale_k), on a grid over 0-9.
        from scipy.stats import norm

        w, m, sd = (params[k][row] for k in ("weights", "means", "scales"))
        assert np.allclose(density, (w * norm.pdf(x[:, None], m, sd)).sum(axis=1))
        assert 0.5 < np.trapezoid(density, x) < 1.01  # (the trapezoid rule errs on peaks)


def test_exif_orientation_and_first_frame(digits):
    import io

    from PIL import Image

    image = np.zeros((30, 50), np.uint8)
    image[:, :10] = 255
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, "JPEG", exif=exif)
    decoded = decode_image(buffer.getvalue(), 10_000)
    assert decoded.shape == (50, 30)  # displayed upright: taller than wide
    # An animated GIF: its first frame.
    frames = [Image.fromarray(np.full((20, 20), v, np.uint8)) for v in (0, 255)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:])
    assert decode_image(buffer.getvalue(), 10_000).max() == 0
    with pytest.raises(RequestError) as info:
        decode_image(buffer.getvalue(), 399)
    assert info.value.status == 413


def test_create_app_checks_its_limits(model):
    with pytest.raises(ValueError, match="max_images"):
        create_app(model, max_images=-1)
    app = create_app(model, max_pixels=1234)
    assert app.state.limits.max_pixels == 1234


def test_the_serving_process_never_imports_tensorflow(run_python, model_path):
    done = run_python(
        """
        import contextlib, io, sys
        from skmnist.cli import main
        for argv in (["--help"], ["serve", "--help"], ["predict", "--help"]):
            with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):
                main(argv)
        from skmnist.serve import create_app, load_model
        from skmnist.serve._decode import Batch  # (a fresh interpreter: not _internals)
        app = create_app(load_model(sys.argv[1]))
        import numpy as np
        image = np.full((60, 40), 255, np.uint8)
        image[10:50, 18:22] = 0
        results = app.state.model.answer(Batch(images=[image]))
        assert "digit" in results[0], results
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras"))
        print("TF-FREE" if not loaded else loaded)
        """,
        model_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "TF-FREE"


def test_the_command_line_fails_clearly(run_python, tmp_path):
    (tmp_path / "junk.joblib").write_bytes(b"junk")
    junk = str(tmp_path / "junk.joblib")
    commands = [["serve", "--model", junk], ["serve", "--model", junk, "--workers", "0"],
                ["serve", "--help"]]
    no_shipped_model = importlib.util.find_spec("skmnist.pretrained") is None
    if no_shipped_model:
        commands.append(["serve"])
    # One fresh interpreter runs each command line in turn and records what it printed and
    # the status `sys.exit(main(argv))` would exit with (an int, or argparse's SystemExit).
    code = """
        import contextlib, io, json, sys
        from skmnist.cli import main
        results = []
        for argv in json.loads(sys.argv[1]):
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    status = main(argv)
                except SystemExit as exc:
                    status = exc.code
            status = 0 if status is None else status if isinstance(status, int) else 1
            results.append((status, out.getvalue(), err.getvalue()))
        print(json.dumps(results))
    """
    done = run_python(code, json.dumps(commands))
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    assert len(results) == len(commands)
    (status, _, err), (status_workers, _, err_workers), (status_help, out_help, _) = results[:3]
    assert status == 1 and "cannot load a model" in err
    assert status_workers == 2 and "--workers must be at least 1" in err_workers
    assert status_help == 0 and "--max-pixels" in out_help
    if no_shipped_model:
        status, _, err = results[3]
        assert status == 1 and "no shipped model" in err


def test_the_batcher_predicts_waiting_calls_together_and_isolates_a_failure():
    import asyncio

    batches = []

    def predict(X):
        batches.append(len(X))
        if (X < 0).any():
            raise ValueError("negative pixels")
        return X.sum(axis=1).tolist()

    calls = [np.full((2, 3), i, float) for i in range(3)] + [np.full((1, 3), -1.0)] + [
        np.full((2, 3), i, float) for i in range(3, 5)]

    async def run():
        batcher = Batcher(predict)
        return await asyncio.gather(*(batcher.predict(x) for x in calls),
                                    return_exceptions=True)

    results = asyncio.run(run())
    for i, x in enumerate(calls):
        if i == 3:
            assert isinstance(results[i], ValueError)
        else:
            assert results[i] == x.sum(axis=1).tolist()
    assert batches[0] == 11  # every waiting call in one pass; then one by one after the error


@pytest.mark.slow
def test_worker_processes_serve_and_exit_0(model_path, digits):
    server = Server(model_path, "--workers", "2")
    try:
        status, answer = server.post_json({"pixels": digits[2][:2].tolist()})
        assert status == 200 and len(answer["predictions"]) == 2
    finally:
        status, output = server.stop(signal.SIGTERM)
    assert status == 0, output
