"""The fused kernel on GPU (``CudaBackend``): tested under numba's CUDA simulator; no GPU was lent.

The simulator (``NUMBA_ENABLE_CUDASIM=1``, read when numba.cuda is first imported, hence a subprocess)
runs the kernel's Python text thread by thread: it checks the launch logic (thread indexing, per-thread
scratch rows, slices, the work order and its inverse, what is copied back) and that the CUDA kernel is
the CPU kernel's numbers, not the GPU's compiler or its floating point. Kept tiny: 4 patients of 2-4
lesions, 56 days (visits on days 0, 21, 35, 49), weekly output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

HORIZON_DAYS, EVERY_DAYS = 56.0, 7.0


def _population():
    """Four OPTiM-like patients cut to their first 2, 3, 4 and 4 lesions (4 lesion slots)."""
    from ovsim.population import Population, generate_population

    big = generate_population(4, seed=3)
    keep = dict(zip(big.patients.patient_id, (2, 3, 4, 4)))
    les = big.lesions[big.lesions.groupby("patient_id").cumcount() < big.lesions.patient_id.map(keep)]
    pats = big.patients.copy()
    pats["n_lesions"] = pats.patient_id.map(keep)
    return Population.from_tables(pats, les.reset_index(drop=True), big.provenance)


def _simulated_facts() -> dict:
    """Run in the simulator subprocess: every comparison the tests assert on, as JSON-able facts."""
    from ovsim.engine import SolverOptions, as_regimen, backend_names, get_backend, make_batch, simulate_cohort
    from ovsim.engine._schedule import build_schedule
    from ovsim.engine.kernel._cuda_backend import CudaBackend
    from ovsim.population import Population

    pop = _population()
    regimen = as_regimen("tvec")
    batch, _ = make_batch(pop, regimen.model(), build_schedule(regimen, HORIZON_DAYS, EVERY_DAYS), 4)
    opts = SolverOptions(rtol=1e-6)
    cpu = get_backend("numba").solve(batch, opts)
    gpu = CudaBackend().solve(batch, opts)
    facts: dict = {"registered": "cuda" in backend_names(), "device": CudaBackend().device()}
    scale = np.maximum(np.abs(cpu.states), 1e-300)
    facts["max_rel_states"] = float(np.max(np.abs(gpu.states - cpu.states) / scale))
    facts["states_finite"] = bool(np.isfinite(gpu.states).all())
    facts["records_equal"] = all(np.array_equal(gpu.record[k], cpu.record[k]) for k in cpu.record)
    facts["n_records"] = len(cpu.record)
    facts["doses_given"] = float(cpu.record["volume_ml"].sum())
    facts["ok"] = [bool(x) for x in gpu.ok]
    facts["steps_equal"] = bool(np.array_equal(gpu.steps, cpu.steps))

    def same(raw, perm=None):
        back = np.argsort(perm) if perm is not None else slice(None)
        return (np.array_equal(raw.states[back], gpu.states) and np.array_equal(raw.steps[back], gpu.steps)
                and all(np.array_equal(raw.record[k][back], gpu.record[k]) for k in gpu.record))

    perm = np.array([3, 1, 0, 2])
    permuted = type(batch)(batch.model, batch.y0[perm], {k: v[perm] for k, v in batch.patient.items()},
                           {k: v[perm] for k, v in batch.lesion.items()}, batch.injectable[perm],
                           batch.boundaries_day, batch.visit_index, batch.bolus[perm], batch.rate[perm],
                           batch.grid_index, batch.policy)
    facts["permuted_slices_of_3"] = same(CudaBackend(slice_size=3, threads_per_block=32).solve(permuted, opts), perm)
    facts["unsorted_slices_of_1"] = same(CudaBackend(slice_size=1, sort=False).solve(batch, opts))

    patients = pop.patients.copy()
    patients.loc[1, "kill_effector_halfsat_cells"] = 0.0  # 0/0 in the killing term at t = 0: non-finite
    broken = Population.from_tables(patients, pop.lesions, pop.provenance)
    kw = dict(horizon_days=HORIZON_DAYS, output_every_days=EVERY_DAYS, chunk_size=4, solver=opts)
    res = simulate_cohort(broken, "tvec", backend=CudaBackend(), **kw)
    good = simulate_cohort(pop, "tvec", backend="numba", **kw)
    d = res.trajectories.longest_diameter_cm.values
    ref = good.trajectories.longest_diameter_cm.values
    others = np.arange(len(pop)) != 1
    facts["n_failed"] = int(res.n_failed)
    facts["failed_id_ok"] = bool(res.failed.iloc[0].patient_id == pop.patients.patient_id[1]) if res.n_failed else False
    facts["failed_reason"] = str(res.failed.iloc[0].reason) if res.n_failed else ""
    facts["failed_all_nan"] = bool(np.isnan(d[1]).all())
    facts["others_max_rel_cm"] = float(np.nanmax(np.abs(d[others] - ref[others]) / np.abs(ref[others])))
    facts["others_finite"] = bool(np.isfinite(d[others]).all())
    facts["failed_without_doses"] = bool(pop.patients.patient_id[1] not in set(res.doses.ID))
    other_ids = set(pop.patients.patient_id[others])
    cols = ["ID", "TIME", "LESION_ID", "VOL_ML", "CONC_PFU_ML", "AMT"]
    facts["others_doses_equal"] = bool(
        res.doses[res.doses.ID.isin(other_ids)][cols].reset_index(drop=True).equals(
            good.doses[good.doses.ID.isin(other_ids)][cols].reset_index(drop=True)))
    return facts


@pytest.fixture(scope="module")
def facts():
    pytest.importorskip("numba")
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1", PYTHONPATH=os.pathsep.join(
        [str(Path(__file__).resolve().parents[1] / "src"), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run([sys.executable, __file__], env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_simulator_is_not_registered_as_a_gpu(facts):
    """``cuda`` is registered only for a real GPU; the simulator says what it is."""
    assert not facts["registered"]
    assert facts["device"].startswith("CUDA simulator")


def test_gpu_kernel_equals_cpu_kernel(facts):
    """States on the grid within 1e-10 (relative) of the CPU numba kernel; the same dose records."""
    assert all(facts["ok"]) and facts["states_finite"]
    assert facts["max_rel_states"] <= 1e-10, facts["max_rel_states"]
    assert facts["n_records"] == 2 and facts["doses_given"] > 0 and facts["records_equal"]
    assert facts["steps_equal"]


def test_failed_patient_is_flagged_and_isolated(facts):
    """kill_effector_halfsat_cells = 0 fails patient 2 on day 0: NaN, no doses; the others are the CPU's."""
    assert facts["n_failed"] == 1 and facts["failed_id_ok"]
    assert "solve failed on day 0" in facts["failed_reason"]
    assert facts["failed_all_nan"] and facts["failed_without_doses"]
    assert facts["others_finite"] and facts["others_max_rel_cm"] <= 1e-10, facts["others_max_rel_cm"]
    assert facts["others_doses_equal"]


def test_order_and_slices_do_not_change_numbers(facts):
    """Bit for bit: patients in another order, launched 3 or 1 per slice, with or without the work order."""
    assert facts["permuted_slices_of_3"]
    assert facts["unsorted_slices_of_1"]


def test_kernel_source_has_a_global_kernel_and_cpu_text_is_unchanged():
    from ovsim.engine.kernel import kernel_source
    from ovsim.treatments import model_for

    model = model_for(("tvec",))
    gpu, cpu = kernel_source(model, "cuda", "tsit5"), kernel_source(model, "cpu", "tsit5")
    assert "solve_batch_cuda = cuda.jit(cache=True)(solve_batch_cuda)" in gpu and "prange" not in gpu
    assert "solve_batch_cuda" not in cpu and "solve_batch = njit(cache=True, parallel=True" in cpu


def test_work_order_puts_more_work_first():
    """A permutation: seropositive first, then lower kill rate."""
    from ovsim.engine import as_regimen, make_batch
    from ovsim.engine._schedule import build_schedule
    from ovsim.engine.kernel._cuda_backend import work_order

    regimen = as_regimen("tvec")
    batch, _ = make_batch(_population(), regimen.model(), build_schedule(regimen, HORIZON_DAYS, EVERY_DAYS), 4)
    order = work_order(batch)
    assert sorted(order) == list(range(batch.n_patients))
    sero = batch.patient["hsv1_seropositive"][order]
    assert np.all(np.diff(sero) <= 0)
    kill = batch.patient["kill_rate"][order]
    assert all(kill[i] <= kill[i + 1] for i in range(len(order) - 1) if sero[i] == sero[i + 1])


@pytest.mark.parametrize("kw, message", [
    (dict(method="rk4"), "method: expected one of"), (dict(threads_per_block=48), "threads_per_block: expected"),
    (dict(slice_size=0), "slice_size: expected"), (dict(memory_fraction=0.0), "memory_fraction: expected")])
def test_bad_options_are_one_line_errors(kw, message):
    from ovsim.engine.kernel._cuda_backend import CudaBackend

    with pytest.raises(ValueError, match=message) as err:
        CudaBackend(**kw)
    assert "\n" not in str(err.value)


if __name__ == "__main__":  # the simulator subprocess
    assert os.environ.get("NUMBA_ENABLE_CUDASIM") == "1"
    print(json.dumps(_simulated_facts()))
