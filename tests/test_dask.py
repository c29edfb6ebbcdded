"""Scale-out on Dask: a cohort on a LocalCluster equals the one-process run bit for bit (in memory and streamed
to parquet parts), a worker killed mid-run costs a retried shard and nothing else, ``ovsim trial --dask local``
gives the same endpoints, and a bad scheduler address fails in one line."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import cloudpickle
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from ovsim.cli import app
from ovsim.engine import get_backend, local_cluster, simulate_cohort
from ovsim.population import generate_population

HORIZON = 91.0  # days
runner = CliRunner()
cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the killing backend travels to the workers by value


@pytest.fixture(scope="module")
def client():
    from distributed import Client

    with local_cluster(2) as cluster, Client(cluster, set_as_default=False) as c:
        yield c


@pytest.fixture(scope="module")
def population():
    return generate_population(6, seed=5)


def _run(population, **kwargs):
    return simulate_cohort(population, "tvec", horizon_days=HORIZON, backend=kwargs.pop("backend", "scipy"),
                           chunk_size=2, **kwargs)


@pytest.fixture(scope="module")
def local(population):
    return _run(population)


def _assert_same(a, b):
    for name in a.trajectories.data_vars:
        assert np.array_equal(a.trajectories[name].values, b.trajectories[name].values, equal_nan=True), name
    assert list(a.trajectories.patient.values) == list(b.trajectories.patient.values)
    pd.testing.assert_frame_equal(a.status, b.status)
    pd.testing.assert_frame_equal(a.doses, b.doses)


def _parts(folder: Path, stem: str) -> pd.DataFrame:
    frames = [pd.read_parquet(p) for p in sorted(folder.glob(f"{stem}-part-*.parquet"))]
    keys = ["patient_id", "lesion_id", "time_day"] if stem == "lesions" else ["ID", "TIME", "CMT"]
    frame = pd.concat(frames, ignore_index=True)
    return frame.sort_values([k for k in keys if k in frame], kind="stable").reset_index(drop=True)


def test_cluster_equals_local_run_bit_for_bit(client, population, local, tmp_path):
    res = _run(population, dask=client, shards=3, checkpoint=tmp_path / "ck")
    assert res.provenance["shards"] == 3 and res.provenance["workers"] == 2
    assert res.provenance["dask"].startswith("tcp://")
    _assert_same(local, res)
    again = _run(population, dask=client, checkpoint=tmp_path / "ck", resume=True)  # the checkpoint's 3 shards
    assert again.provenance["shards"] == 3 and again.provenance["n_chunks_resumed"] == again.provenance["n_chunks"]
    _assert_same(local, again)


class KillOnce:
    """The scipy backend, except that the second batch a shard solves kills its worker process (SIGKILL-like
    ``os._exit``) the first time any shard gets there (``marker`` absent): a worker dying mid-shard."""

    def __init__(self, marker: str):
        inner = get_backend("scipy")
        self.name, self.capabilities, self.marker, self.calls = inner.name, inner.capabilities, marker, 0

    def solve(self, batch, options):
        self.calls += 1
        if self.calls == 2 and not os.path.exists(self.marker):
            Path(self.marker).write_text(str(os.getpid()))
            os._exit(1)
        return get_backend("scipy").solve(batch, options)

    def device(self):
        return get_backend("scipy").device()


def test_killed_worker_shard_is_retried_nothing_lost_or_duplicated(client, population, tmp_path):
    """With results streamed to parquet parts: the parts read back equal a local run's, each patient once."""
    marker = tmp_path / "killed"
    a = _run(population, out_dir=tmp_path / "local")
    b = _run(population, dask=client, shards=2, backend=KillOnce(str(marker)), out_dir=tmp_path / "dask")
    assert marker.exists(), "a worker was killed mid-run"
    assert list(b.status["patient_id"]) == list(population.patients["patient_id"])  # each patient once, in order
    pd.testing.assert_frame_equal(a.status, b.status)
    for stem in ("lesions", "doses"):
        pd.testing.assert_frame_equal(_parts(tmp_path / "local", stem), _parts(tmp_path / "dask", stem))
    lesions = _parts(tmp_path / "dask", "lesions")
    assert not lesions.duplicated(["patient_id", "lesion_id", "time_day"]).any()
    assert not list((tmp_path / "dask").glob("*.partial"))
    assert json.loads((tmp_path / "dask" / "cohort.json").read_text())["shards"] == 2


def _endpoints(folder: Path) -> dict:
    doc = json.loads((folder / "endpoints.json").read_text())
    doc.pop("provenance")
    return doc


def test_trial_cli_dask_local_gives_the_same_endpoints(tmp_path):
    args = ["trial", "--patients", "4", "--seed", "3", "--no-report"]
    a = runner.invoke(app, [*args, "--out", str(tmp_path / "a")])
    b = runner.invoke(app, [*args, "--out", str(tmp_path / "b"), "--dask", "local"])
    assert a.exit_code == 0 and b.exit_code == 0, (a.output, b.output)
    assert _endpoints(tmp_path / "a") == _endpoints(tmp_path / "b")
    run = json.loads((tmp_path / "b" / "run.json").read_text())
    assert all(c["dask"] == "local" for c in run["dask"].values())


def _one_line_error(res) -> str:
    err = res.stderr if hasattr(res, "stderr") else res.output
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


def test_unreachable_scheduler_fails_in_one_line(tmp_path, monkeypatch):
    import ovsim.engine._dask as dask_module

    monkeypatch.setattr(dask_module, "CONNECT_TIMEOUT_S", 2.0)
    res = runner.invoke(app, ["cohort", "--patients", "2", "--out", str(tmp_path / "c"), "--dask",
                              "tcp://127.0.0.1:9"])
    assert res.exit_code == 2
    assert _one_line_error(res).startswith("ovsim: error: --dask: cannot reach scheduler tcp://127.0.0.1:9: ")
    assert not (tmp_path / "c").exists()
    res = runner.invoke(app, ["trial", "--patients", "2", "--out", str(tmp_path / "t"), "--dask", "no such host"])
    assert res.exit_code == 2 and "--dask: expected local or a scheduler address" in _one_line_error(res)
    res = runner.invoke(app, ["trial", "--patients", "2", "--out", str(tmp_path / "t"), "--dask", "local",
                              "--workers", "2"])
    assert res.exit_code == 2 and "--workers: expected 1 with --dask" in _one_line_error(res)
