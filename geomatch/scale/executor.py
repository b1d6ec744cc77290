"""One executor for independent work: in process, or as tasks on a Dask cluster.

geomatch has three kinds of independent work: the museum schedule of each province, the
caravan trips of each county, and the scenarios of a sweep. They all go through an
:class:`Executor`:

* :class:`InProcessExecutor` runs the items one after another in this process (tests,
  small runs, and any work that already runs inside a Dask worker);
* :class:`DaskExecutor` submits one Dask task per item to a ``distributed.Client`` —
  a ``LocalCluster`` on this machine or an existing cluster by scheduler address.
  A worker that dies mid-task has its tasks rescheduled by the scheduler on the others
  (``distributed.scheduler.allowed-failures``), so a batch completes with the same
  results.

:func:`open_executor` picks one: an explicit scheduler address (or the
``DASK_SCHEDULER_ADDRESS`` environment variable) → a client of that cluster;
``workers > 1`` → a ``LocalCluster`` of that many single-threaded worker processes for
the duration of the ``with`` block; otherwise, or when already inside a task (a Dask
worker, or an item of :class:`InProcessExecutor`: a sequential sweep runs each scenario
wholly in process), in process — a task never starts a cluster of its own.

Work is submitted in batches (:meth:`Executor.submit`), so the museum and caravan
batches of one run are in flight together; :meth:`Batch.result` returns the results in
submission order whatever the order they finish in.
"""

from __future__ import annotations

import contextvars
import logging
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from geomatch.progress import ProgressCallback

if TYPE_CHECKING:
    from distributed import Client, Future

__all__ = [
    "SCHEDULER_ENV",
    "Batch",
    "DaskExecutor",
    "Executor",
    "InProcessExecutor",
    "in_dask_worker",
    "open_executor",
]

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

#: Environment variable naming an existing scheduler (``tcp://host:8786``), as Dask reads it.
SCHEDULER_ENV = "DASK_SCHEDULER_ADDRESS"
#: Dask's setting for the "large graph" warning, and the item size geomatch ships knowingly.
_GRAPH_WARNING = "distributed.admin.large-graph-warning-threshold"
_ITEM_BYTES_OK = "256MB"


class Batch(ABC, Generic[R]):
    """Results of one :meth:`Executor.submit` call, in submission order."""

    @abstractmethod
    def result(self, progress: ProgressCallback | None = None, label: str = "") -> list[R]:
        """Wait for every item; ``progress(fraction, label)`` as items finish."""

    @abstractmethod
    def __len__(self) -> int: ...


class Executor(ABC):
    """Runs a function over independent items (see the module docstring)."""

    #: Where the work runs (``in-process`` or the scheduler address), for logs.
    name: str = ""

    @abstractmethod
    def submit(self, fn: Callable[[T], R], items: Sequence[T], *, label: str = "") -> Batch[R]:
        """Start ``fn(item)`` for every item; ``label`` names the tasks (Dask keys)."""

    def map(
        self,
        fn: Callable[[T], R],
        items: Sequence[T],
        *,
        label: str = "",
        progress: ProgressCallback | None = None,
    ) -> list[R]:
        """``[fn(item) for item in items]``, possibly in parallel, in order."""
        return self.submit(fn, items, label=label).result(progress, label)

    @property
    def parallelism(self) -> int:
        """How many items run at once (1 in process)."""
        return 1


@dataclass
class _LazyBatch(Batch[R]):
    fn: Callable[[Any], R]
    items: Sequence[Any]

    def result(self, progress: ProgressCallback | None = None, label: str = "") -> list[R]:
        out: list[R] = []
        for k, item in enumerate(self.items):
            token = _IN_TASK.set(True)  # the item's own work stays in process too
            try:
                out.append(self.fn(item))
            finally:
                _IN_TASK.reset(token)
            if progress is not None:
                progress((k + 1) / len(self.items), label)
        return out

    def __len__(self) -> int:
        return len(self.items)


class InProcessExecutor(Executor):
    """Runs each batch in this process, item after item, when its result is asked for."""

    name = "in-process"

    def submit(self, fn: Callable[[T], R], items: Sequence[T], *, label: str = "") -> Batch[R]:
        return _LazyBatch(fn, list(items))


@dataclass
class _DaskBatch(Batch[R]):
    client: Client
    futures: list[Future[R]]

    def result(self, progress: ProgressCallback | None = None, label: str = "") -> list[R]:
        from distributed import as_completed

        n = len(self.futures)
        if progress is not None and n:
            for k, _ in enumerate(as_completed(self.futures, loop=self.client.loop), start=1):  # type: ignore[no-untyped-call]
                progress(k / n, label)
        out: list[R] = self.client.gather(self.futures)  # type: ignore[no-untyped-call]
        return out

    def __len__(self) -> int:
        return len(self.futures)


class DaskExecutor(Executor):
    """One Dask task per item on ``client``'s cluster.

    Tasks are submitted with ``pure=False`` (each call is its own task) and
    ``retries`` (a task that raises is tried again that many times; a task whose
    worker dies is rescheduled by the scheduler regardless).
    """

    def __init__(self, client: Client, *, retries: int = 0) -> None:
        self.client = client
        self.retries = retries
        self.name = str(client.scheduler.address) if client.scheduler else "dask"

    def submit(self, fn: Callable[[T], R], items: Sequence[T], *, label: str = "") -> Batch[R]:
        import uuid

        import dask

        tag = f"{label or getattr(fn, '__name__', 'task')}-{uuid.uuid4().hex[:8]}"
        # each item carries its own data (a province's or a county chunk's matrices, some
        # MB), never a copy of shared data: Dask's warning against graphs over 10 MB,
        # meant for data embedded again and again, is noise here
        with dask.config.set({_GRAPH_WARNING: _ITEM_BYTES_OK}):
            futures = [
                self.client.submit(fn, item, key=f"{tag}-{k}", pure=False, retries=self.retries)
                for k, item in enumerate(items)
            ]
        return _DaskBatch(self.client, futures)

    @property
    def parallelism(self) -> int:
        info = self.client.scheduler_info(n_workers=-1)
        return max(1, sum(int(w.get("nthreads", 1)) for w in info["workers"].values()))

    @property
    def dashboard(self) -> str:
        """The Dask dashboard address ("" when the cluster serves none)."""
        return str(self.client.dashboard_link or "")


#: True while an :class:`InProcessExecutor` runs an item (work inside it stays in process).
_IN_TASK: contextvars.ContextVar[bool] = contextvars.ContextVar("geomatch_in_task", default=False)


def in_dask_worker() -> bool:
    """Whether this code runs inside a Dask worker (a task)."""
    try:
        from distributed import get_worker
    except ImportError:  # pragma: no cover - distributed is a dependency
        return False
    try:
        get_worker()
    except ValueError:
        return False
    return True


@contextmanager
def open_executor(
    *, scheduler: str | None = None, workers: int = 1, dashboard: bool = False
) -> Iterator[Executor]:
    """The executor for a piece of work, closed (cluster stopped) on leaving the block.

    Parameters
    ----------
    scheduler
        Address of an existing scheduler (``tcp://host:8786``); ``None`` reads
        ``DASK_SCHEDULER_ADDRESS``.
    workers
        Without a scheduler: ``> 1`` starts a ``LocalCluster`` of that many
        single-threaded worker processes; ``1`` runs in process.
    dashboard
        Serve the Dask dashboard of a local cluster (on a free port).
    """
    address = scheduler or os.environ.get(SCHEDULER_ENV) or None
    if (in_dask_worker() or _IN_TASK.get()) and not scheduler:
        yield InProcessExecutor()
        return
    if address is None and workers <= 1:
        yield InProcessExecutor()
        return
    from distributed import Client, LocalCluster

    if address is not None:
        with Client(address, set_as_default=False) as client:  # type: ignore[no-untyped-call]
            log.info("dask: scheduler %s, %d worker(s)", address, len(client.nthreads()))
            yield DaskExecutor(client)
        return
    with (
        LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0" if dashboard else None,
        ) as cluster,
        Client(cluster, set_as_default=False) as client,  # type: ignore[no-untyped-call]
    ):
        log.info("dask: local cluster of %d worker process(es)", workers)
        yield DaskExecutor(client)
