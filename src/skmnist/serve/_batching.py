"""Prediction of concurrent requests together: one forward pass for all the rows waiting.

A network's forward pass over a few rows costs about as much as over one (the products are
padded to a minimum row count anyway), so while one batch is computed the rows of the requests
that arrive meanwhile queue up, and go through the network together as the next batch.  No
request waits for others to arrive: a lone request is predicted at once.  skmnist's networks
give each row the same result whatever its batch, so batching changes no answer.
"""

import asyncio

import numpy as np
from starlette.concurrency import run_in_threadpool


class Batcher:
    """Run ``predict(X) -> list`` (one item per row) on the rows of concurrent calls at once.

    Parameters
    ----------
    predict : callable
        Takes a 2-D array of rows, returns one result per row; CPU-bound, so it runs in
        Starlette's thread pool.
    max_rows : int, default=512
        The most rows of one batch (a request with more rows is its own batch).
    """

    def __init__(self, predict, max_rows=512):
        self._predict, self.max_rows = predict, max_rows
        self._pending = []
        self._task = None

    async def predict(self, X):
        """The results of the rows ``X``, computed in a batch with other callers' rows."""
        future = asyncio.get_running_loop().create_future()
        self._pending.append((X, future))
        if self._task is None:
            self._task = asyncio.ensure_future(self._run())
        return await future

    def _take(self):
        """The next batch: the waiting calls, in order, up to ``max_rows`` rows (at least one
        call)."""
        taken, rows = [], 0
        while self._pending and (not taken or rows + len(self._pending[0][0]) <= self.max_rows):
            job = self._pending.pop(0)
            taken.append(job)
            rows += len(job[0])
        return taken

    async def _run(self):
        try:
            while self._pending:
                jobs = self._take()
                X = jobs[0][0] if len(jobs) == 1 else np.concatenate([x for x, _ in jobs])
                try:
                    results = await run_in_threadpool(self._predict, X)
                except Exception:
                    if len(jobs) == 1:
                        raise
                    # One call's rows broke the batch: predict each call on its own, so that
                    # only that call fails.
                    for x, future in jobs:
                        await self._settle(future, x)
                    continue
                start = 0
                for x, future in jobs:
                    if not future.done():  # (a caller that went away cancelled its future)
                        future.set_result(results[start:start + len(x)])
                    start += len(x)
        except Exception as exc:
            for _, future in jobs:
                if not future.done():
                    future.set_exception(exc)
        finally:
            self._task = None
            if self._pending:  # calls that arrived as this task was ending
                self._task = asyncio.ensure_future(self._run())

    async def _settle(self, future, X):
        try:
            result = await run_in_threadpool(self._predict, X)
        except Exception as exc:
            if not future.done():
                future.set_exception(exc)
        else:
            if not future.done():
                future.set_result(result)
