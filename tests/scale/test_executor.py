"""The executor: in process and on a Dask LocalCluster give the same results in order."""

from __future__ import annotations

import os

import pytest

from geomatch.scale.executor import (
    DaskExecutor,
    InProcessExecutor,
    in_dask_worker,
    open_executor,
)


def _square(x: int) -> int:
    return x * x


def _where(_: int) -> tuple[bool, str]:
    with open_executor(workers=4) as ex:  # inside a task: never a nested cluster
        return in_dask_worker(), ex.name


def test_in_process_is_lazy_and_ordered() -> None:
    seen: list[float] = []
    ex = InProcessExecutor()
    batch = ex.submit(_square, [3, 1, 2])
    assert len(batch) == 3
    assert batch.result(lambda f, _m: seen.append(f)) == [9, 1, 4]
    assert seen == pytest.approx([1 / 3, 2 / 3, 1.0])
    assert ex.parallelism == 1


def test_items_of_an_in_process_batch_do_not_start_clusters(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    assert InProcessExecutor().map(_where, [0, 1]) == [(False, "in-process")] * 2


def test_workers_one_runs_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    with open_executor(workers=1) as ex:
        assert isinstance(ex, InProcessExecutor)
        assert ex.map(_square, range(5)) == [0, 1, 4, 9, 16]


def test_local_cluster_same_results_and_tasks_run_nested_work_in_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    items = list(range(40))
    with open_executor(workers=2) as ex:
        assert isinstance(ex, DaskExecutor)
        assert ex.parallelism == 2
        got = ex.map(_square, items, label="sq")
        inside = ex.map(_where, [0])
    assert got == [_square(i) for i in items]
    assert inside == [(True, "in-process")]
    assert not in_dask_worker()
    assert os.environ.get("DASK_SCHEDULER_ADDRESS") is None
