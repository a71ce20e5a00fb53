"""Running the application on uvicorn, in one process or in worker processes, with a clean
exit: on SIGINT or SIGTERM the server stops accepting connections, lets the requests in
flight finish, and the process exits with status 0."""

import os
import signal

#: Seconds the requests in flight get to finish after SIGINT/SIGTERM.
GRACEFUL_SECONDS = 30


def one_blas_thread():
    """Run BLAS single-threaded in this process: a request's products are small (a few
    rows), and a multi-threaded BLAS spins its threads on every one of them (the serving
    page of the user guide has the measurement). The server's parallelism is across requests
    (threads, --workers)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


def run_server(app, *, host, port, workers=1, environment=None, log_level="info",
               access_log=True):
    """Serve ``app`` (one process) or, with ``workers > 1``, the application each worker
    builds from ``environment`` (variables for
    :func:`~skmnist.serve.app.app_from_environment`); return when shut down by a signal.

    uvicorn re-raises a captured SIGINT/SIGTERM once it has shut down, so that the process
    dies of it (status 130 or 143); a server that finished its requests as asked has done its
    job, so the handlers installed here take that second delivery and return normally.
    """
    import uvicorn

    one_blas_thread()
    options = dict(host=host, port=port, log_level=log_level, access_log=access_log,
                   timeout_graceful_shutdown=GRACEFUL_SECONDS)
    if workers > 1:
        # The workers are fresh processes: they import the application by name and build it
        # from the environment (uvicorn's supervisor handles the signals and joins them).
        os.environ.update(environment or {})
        uvicorn.run("skmnist.serve.app:app_from_environment", factory=True, workers=workers,
                    **options)
        return
    server = uvicorn.Server(uvicorn.Config(app, **options))
    handled = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, lambda *_: None) for sig in handled}
    try:
        server.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
