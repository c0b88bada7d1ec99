"""The one place that sets thread pools (numba kernels and BLAS)."""

from __future__ import annotations

import os
from contextlib import contextmanager

__all__ = ["thread_limits", "resolve_threads"]


def resolve_threads(num_threads: int) -> int:
    """``num_threads``, or every core the process may use when it is 0."""
    if num_threads and num_threads > 0:
        return int(num_threads)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


@contextmanager
def thread_limits(num_threads: int, limit_blas: bool = True):
    """Run numba kernels on ``num_threads`` threads with BLAS on one thread, then restore.

    BLAS only computes small Gram matrices between kernels here; left multi-threaded, OpenBLAS's
    idle workers spin on the cores the kernels need and can slow training several-fold.
    ``limit_blas=False`` leaves BLAS alone (for code that calls no BLAS: threadpoolctl's
    bookkeeping costs milliseconds). Yields the number of kernel threads.
    """
    import numba

    n = min(resolve_threads(num_threads), numba.config.NUMBA_NUM_THREADS)
    previous = numba.get_num_threads()
    numba.set_num_threads(n)
    try:
        if limit_blas:
            from threadpoolctl import threadpool_limits

            with threadpool_limits(limits=1, user_api="blas"):
                yield n
        else:
            yield n
    finally:
        numba.set_num_threads(previous)
