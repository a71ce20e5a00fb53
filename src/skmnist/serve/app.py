"""The ASGI application: the drawing page, the JSON API and its limits (Starlette).

:func:`create_app` builds the application around a fitted model; ``skmnist serve`` runs it
on uvicorn.  Every bad request is answered with a 4xx status and a JSON body
``{"error": message}``.  Decoding and framing run in Starlette's thread pool, so the event
loop keeps accepting requests while they compute; the framed rows of concurrent requests go
through the network together (``_batching.Batcher``).
"""

import os
from importlib import resources

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

from ._batching import Batcher
from ._decode import (
    Batch,
    Limits,
    RequestError,
    batch_from_files,
    batch_from_json,
    decode_image,
)
from ._model import ServedModel, served_model
from ._openapi import openapi_schema

__all__ = ["create_app", "app_from_environment"]

#: Bodies up to this size are parsed in the event loop (a few rows of pixels, a small image:
#: less work than a hop to a worker thread); larger ones in the thread pool.
INLINE_BYTES = 32_768

#: The environment variables through which ``skmnist serve --workers N`` hands its options
#: to the worker processes (each builds its own application with
#: :func:`app_from_environment`).
ENVIRONMENT = {
    "model": "SKMNIST_SERVE_MODEL",
    "max_body_bytes": "SKMNIST_SERVE_MAX_BODY_BYTES",
    "max_pixels": "SKMNIST_SERVE_MAX_PIXELS",
    "max_images": "SKMNIST_SERVE_MAX_IMAGES",
}


class _BodyLimit:
    """ASGI middleware: refuse a body larger than ``max_body_bytes`` (413), by its declared
    Content-Length before reading it, and by counting as it streams in (chunked uploads)."""

    def __init__(self, app, max_body_bytes):
        self.app, self.max_body_bytes = app, max_body_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.max_body_bytes
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None:
            if not length.isdigit():
                response = _error(400, "the Content-Length header is not a number")
                return await response(scope, receive, send)
            if int(length) > limit:
                response = _error(413, _too_large(limit))
                return await response(scope, receive, send)
        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise RequestError(413, _too_large(limit))
            return message

        await self.app(scope, limited_receive, send)


def _too_large(limit):
    return f"the request body is larger than the limit of {limit:,} bytes"


def _error(status, message):
    return JSONResponse({"error": message}, status_code=status)


def _page():
    return resources.files(__package__).joinpath("page.html").read_text(encoding="utf-8")


def create_app(
    model, *, max_body_bytes=None, max_pixels=None, max_images=None, source=None, info=None
):
    """Build the ASGI application serving ``model``.

    Parameters
    ----------
    model : estimator, Pipeline or ServedModel
        A fitted classifier that takes MNIST's 784 grey levels (0-255), or a pipeline that
        starts with a :class:`~skmnist.DigitNormalizer` (see ``skmnist predict``).
    max_body_bytes : int, default=None
        The largest request body, in bytes (default 20,000,000).
    max_pixels : int, default=None
        The most pixels (width times height) of one uploaded image, checked before it is
        decompressed (default 25,000,000).
    max_images : int, default=None
        The most images in one request (default 256).
    source : str, default=None
        Where the model came from, reported by ``GET /model``.
    info : dict, default=None
        What is known of the model's training (accuracy, data), reported by ``GET /model``.

    Returns
    -------
    app : starlette.applications.Starlette
        Routes: ``GET /`` (the page), ``POST /predict``, ``GET /health``, ``GET /model``,
        ``GET /openapi.json``.

    Examples
    --------
    Any fitted classifier that reads MNIST's 784 grey levels, here a nearest-neighbours one:

    >>> from sklearn.neighbors import KNeighborsClassifier
    >>> from sklearn.pipeline import make_pipeline
    >>> from skmnist import PixelScaler, load_mnist_sample
    >>> from skmnist.serve import create_app
    >>> X, y = load_mnist_sample(return_X_y=True)
    >>> model = make_pipeline(PixelScaler(), KNeighborsClassifier(n_neighbors=3))
    >>> app = create_app(model.fit(X[:500], y[:500]), max_images=32)
    >>> sorted(route.path for route in app.routes)
    ['/', '/health', '/model', '/openapi.json', '/predict']

    Run it with uvicorn (``skmnist serve`` does): ``uvicorn.run(app, port=8000)``.
    """
    defaults = Limits()
    limits = Limits(
        max_body_bytes=max_body_bytes or defaults.max_body_bytes,
        max_pixels=max_pixels or defaults.max_pixels,
        max_images=max_images or defaults.max_images,
    )
    served = model if isinstance(model, ServedModel) else ServedModel(
        model, source=source, info=info
    )
    description = served.describe()
    batcher = Batcher(served.predict_rows)
    page = _page()
    schema = openapi_schema(limits)

    async def index(request):
        return HTMLResponse(page)

    async def health(request):
        return JSONResponse({"status": "ok"})

    async def model_info(request):
        return JSONResponse(description)

    async def openapi(request):
        return JSONResponse(schema)

    async def predict(request):
        include_image = request.query_params.get("image", "").lower() in ("1", "true", "yes")
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type == "multipart/form-data":
            files = await _uploaded_files(request, limits)
            parse, payload, size = batch_from_files, files, sum(len(f[1]) for f in files)
        elif content_type == "application/json":
            parse, payload = batch_from_json, await request.body()
            size = len(payload)
        elif content_type.startswith("image/") or content_type == "application/octet-stream":
            parse, payload = _one_image, await request.body()
            size = len(payload)
        else:
            raise RequestError(
                415, "send images as multipart/form-data files, JSON (application/json) or "
                f"one image body (image/png, image/jpeg...); got {content_type or 'no'} "
                "Content-Type"
            )
        if size <= INLINE_BYTES:  # e.g. one row of pixels: no thread hop
            batch = parse(payload, limits)
        else:
            batch = await run_in_threadpool(parse, payload, limits)
        if batch.pixels is None:  # framing is CPU-bound
            X, good, errors, image_novelty = await run_in_threadpool(
                served.frame_all, batch.images
            )
        else:
            X, good, errors, image_novelty = served.rows(batch)
        try:
            predicted = await batcher.predict(X) if X is not None else []
        except (ValueError, TypeError) as exc:  # e.g. a model that does not take 784 pixels
            raise RequestError(422, f"the model cannot read these pixels: {exc}") from None
        results = served.merge(len(batch), X, good, errors, predicted,
                               include_image=include_image, image_novelty=image_novelty)
        body = {"classes": served.classes, "predictions": results}
        failed = sum("error" in r for r in results)
        if failed == len(results):
            body["error"] = "; ".join(r["error"] for r in results)
            return JSONResponse(body, status_code=422)
        return JSONResponse(body)

    async def request_error(request, exc):
        return _error(exc.status, exc.message)

    async def server_error(request, exc):
        # A bug, not a bad request: still JSON, and uvicorn logs the traceback.
        return _error(500, f"internal error ({type(exc).__name__}); see the server's log")

    async def http_error(request, exc):
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    app = Starlette(
        routes=[
            Route("/", index, methods=["GET"]),
            Route("/predict", predict, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
            Route("/model", model_info, methods=["GET"]),
            Route("/openapi.json", openapi, methods=["GET"]),
        ],
        exception_handlers={RequestError: request_error, HTTPException: http_error,
                            Exception: server_error},
    )
    app.add_middleware(_BodyLimit, max_body_bytes=limits.max_body_bytes)
    app.state.model, app.state.limits = served, limits
    return app


def _one_image(body, limits):
    return Batch(images=[decode_image(body, limits.max_pixels)])


async def _uploaded_files(request, limits):
    """The uploaded files' names and bytes, in order; a 413 beyond ``max_images`` files."""
    parser = MultiPartParser(
        request.headers, request.stream(), max_files=limits.max_images, max_fields=100
    )
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        if exc.message.startswith("Too many files"):
            raise RequestError(413, f"more than {limits.max_images} images in one request; "
                               f"the limit is {limits.max_images}") from None
        raise RequestError(400, f"bad multipart body: {exc.message}") from None
    try:
        uploads = [value for _, value in form.multi_items() if not isinstance(value, str)]
        return [(upload.filename, await upload.read()) for upload in uploads]
    finally:
        await form.close()


def app_from_environment():
    """The application as ``skmnist serve`` configures it through environment variables
    (:data:`ENVIRONMENT`): the factory each ``--workers`` process calls."""
    from ._run import one_blas_thread

    one_blas_thread()
    served = served_model(os.environ.get(ENVIRONMENT["model"]) or None)
    limits = {
        name: int(os.environ[variable])
        for name, variable in ENVIRONMENT.items()
        if name != "model" and os.environ.get(variable)
    }
    return create_app(served, **limits)
