import csv
import io

import numpy as np
import pytest

from pu_detect import bench, cli
from pu_detect.bench import runner


def few_epochs(monkeypatch, *names):
    """Our estimators with 3 epochs, so that runs through the real harness stay quick."""
    for name in names:
        spec = bench.MODELS[name]
        monkeypatch.setitem(bench.MODELS, name, bench.ModelSpec(
            lambda seed, d, make=spec.make: make(seed, d).set_params(epochs=3), spec.semi_supervised))


def read(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_bench_command_writes_results_summary_and_plots_then_resumes(tmp_path, monkeypatch, capsys):
    few_epochs(monkeypatch, "PUAutoencoder")
    out = tmp_path / "bench"
    argv = ["bench", "--datasets", "thyroid", "--seeds", "0", "--models", "PUAutoencoder,IForest",
            "--out", str(out), "--no-progress"]
    assert cli.main(argv) == 0
    rows = read(out / "results.csv")
    assert [(r["dataset"], r["model"], r["seed"], r["labeled_fraction"], r["status"]) for r in rows] == [
        ("thyroid", "PUAutoencoder", "0", "0.1", "ok"), ("thyroid", "IForest", "0", "0.1", "ok")]
    for r in rows:
        assert 0.5 < float(r["roc_auc"]) <= 1 and 0 < float(r["average_precision"]) <= 1
        assert float(r["fit_seconds"]) > 0 and "torch=" in r["versions"] and "pyod=" in r["versions"]
        assert r["n_train"] == "2640" and r["n_labeled"] == "6"
    summary = (out / "summary.md").read_text()
    assert "| thyroid |" in summary and "mean rank" in summary and "PUAutoencoder" in summary
    for name in ("auroc_by_dataset.png", "mean_rank.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    capsys.readouterr()

    # A second call with one more seed runs only the new seed's rows.
    assert cli.main(argv[:3] + ["--seeds", "0,1"] + argv[5:]) == 0
    assert "2 new runs" in capsys.readouterr().out
    rows = read(out / "results.csv")
    assert sorted((r["model"], r["seed"]) for r in rows) == [
        ("IForest", "0"), ("IForest", "1"), ("PUAutoencoder", "0"), ("PUAutoencoder", "1")]
    (out / "summary.md").unlink()
    assert cli.main(argv[:3] + ["--seeds", "0,1,2"] + argv[5:] + ["--summary-only"]) == 0
    assert len(read(out / "results.csv")) == 4 and (out / "summary.md").exists()


def test_failing_model_is_recorded_not_dropped(tmp_path, monkeypatch):
    def broken(seed, n_features):
        raise RuntimeError("peer exploded")

    monkeypatch.setitem(bench.MODELS, "Broken", bench.ModelSpec(broken, False, family="peer"))
    results = tmp_path / "r.csv"
    bench.run(["cardio"], ["IForest", "Broken"], [3], results=results, progress=False)
    rows = rows_before_retry = {r["model"]: r for r in read(results)}
    assert rows["IForest"]["status"] == "ok"
    assert rows["Broken"]["status"] == "failed" and "RuntimeError: peer exploded" in rows["Broken"]["error"]
    assert rows["Broken"]["roc_auc"] == ""
    summary = bench.summarise(read(results))
    assert "## Failed runs" in summary and "peer exploded" in summary
    assert "| IForest | 1 | 0 | 1 |" in summary and "| Broken | 0 | 1 | 0 |" in summary  # runs per model
    assert "| cardio | " in summary and "—" in summary  # the failed cell is shown as missing

    # Resuming skips the failed run; --retry-failed runs it again and replaces its row.
    assert bench.run(["cardio"], ["IForest", "Broken"], [3], results=results, progress=False) == []
    monkeypatch.setitem(bench.MODELS, "Broken", bench.MODELS["IForest"])
    added = bench.run(["cardio"], ["IForest", "Broken"], [3], results=results, retry_failed=True,
                          progress=False)
    assert [r["model"] for r in added] == ["Broken"] and added[0]["status"] == "ok"
    rows = read(results)
    assert sorted((r["model"], r["status"]) for r in rows) == [("Broken", "ok"), ("IForest", "ok")]
    assert {r["model"]: r["roc_auc"] for r in rows}["IForest"] == rows_before_retry["IForest"]["roc_auc"]


def test_time_limit_kills_a_slow_run_and_keeps_a_quick_one(tmp_path):
    # In a child process: a quick run gives the same row as in-process; a run
    # past its limit (0.05 s is less than the child's own imports) is killed
    # and recorded as failed with a TimeoutError.
    results = tmp_path / "r.csv"
    added = bench.run(["thyroid"], ["IForest"], [0], results=results, time_limit=300, progress=False)
    in_process = bench.run_one("thyroid", "IForest", 0, 0.1)
    assert added[0]["status"] == "ok" and added[0]["roc_auc"] == in_process["roc_auc"]
    slow = bench.run_one("thyroid", "IForest", 1, 0.1, time_limit=0.05)
    assert slow["status"] == "failed" and slow["dataset"] == "thyroid" and slow["seed"] == 1
    assert slow["error"].startswith("TimeoutError: no result within time_limit=0.05 s")
    with pytest.raises(ValueError, match="time_limit must be a real number in"):
        bench.run(["thyroid"], ["IForest"], [0], results=results, time_limit=0, progress=False)


def test_a_child_process_that_dies_is_recorded_with_its_last_error_line(monkeypatch):
    monkeypatch.setattr(runner, "_CHILD", "import sys\nsys.exit('out of memory, say')\n")
    row = bench.run_one("thyroid", "IForest", 0, 0.1, time_limit=60)
    assert row["status"] == "failed" and row["model"] == "IForest"
    assert row["error"] == "ChildProcessError: the run's process exited with code 1: out of memory, say"


def test_runs_on_a_dask_cluster_over_loopback(tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp",
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        added = bench.run(["thyroid"], ["IForest"], [0, 1], results=tmp_path / "dask.csv",
                              scheduler=cluster.scheduler_address, progress=False)
    assert sorted(r["seed"] for r in added) == [0, 1] and all(r["status"] == "ok" for r in added)
    local = bench.run(["thyroid"], ["IForest"], [0, 1], results=tmp_path / "local.csv", progress=False)
    by_seed = {r["seed"]: r["roc_auc"] for r in local}
    assert all(r["roc_auc"] == by_seed[r["seed"]] for r in added)


def test_mean_ranks_by_hand():
    means = np.array([[0.9, 0.8, np.nan], [0.7, 0.9, 0.6], [0.5, 0.5, 0.4]])
    ranks, n_complete = bench.mean_ranks(means)
    assert n_complete == 2
    np.testing.assert_allclose(ranks, [(2 + 1.5) / 2, (1 + 1.5) / 2, 3])


def test_dataset_names_resolve_to_shipped_sets_paths_and_stems(tmp_path):
    rng = np.random.default_rng(0)
    for name, rows in (("3_foo", 30), ("12_bar", 20), ("bar", 25)):
        np.savez(tmp_path / f"{name}.npz", X=rng.normal(size=(rows, 2)), y=np.arange(rows) % 2)
    assert bench.resolve_names(["thyroid", "foo", "3_foo"], tmp_path) == [
        "thyroid", str(tmp_path / "3_foo.npz"), str(tmp_path / "3_foo.npz")]
    with pytest.raises(ValueError, match="dataset must be .* exactly one .npz file .*; got 'bar'"):
        bench.resolve_names(["bar"], tmp_path)  # 12_bar.npz and bar.npz
    with pytest.raises(ValueError, match="got 'nope'"):
        bench.resolve_names(["nope"], tmp_path)
    assert [p.rsplit("/", 1)[1] for p in bench.find_datasets(tmp_path, max_rows=25)] == [
        "12_bar.npz", "bar.npz"]


def test_bad_benchmark_arguments_are_named(tmp_path):
    with pytest.raises(ValueError, match="model must be one of .*; got 'nope'"):
        bench.run(["thyroid"], ["nope"], [0], results=tmp_path / "r.csv")
    with pytest.raises(ValueError, match=r"labeled_fraction must be a real number in \(0, 1\]; got 0"):
        bench.run(["thyroid"], ["IForest"], [0], [0], results=tmp_path / "r.csv")
    with pytest.raises(ValueError, match="seed must be an integer >= 0; got -1"):
        bench.run(["thyroid"], ["IForest"], [-1], results=tmp_path / "r.csv")


def test_evaluate_rejects_non_finite_scores():
    class NaNScores:
        def fit(self, X, y=None):
            return self

        def decision_function(self, X):
            return np.full(len(X), np.nan)

    X, y = runner.resolve_dataset("cardio")
    split = runner.pu_split(X, y, random_state=0)
    with pytest.raises(FloatingPointError, match="IForest returned .* non-finite scores"):
        bench.evaluate("IForest", split, 0, model=NaNScores())


def test_cli_bench_lists_every_model_in_help():
    out = io.StringIO()
    with pytest.raises(SystemExit):
        import contextlib
        with contextlib.redirect_stdout(out):
            cli.main(["bench", "--help"])
    for name in bench.MODELS:
        assert name in out.getvalue().replace("\n", " ").replace("- ", "-")


def test_head_to_head_counts_wins_and_gives_the_wilcoxon_p_value_by_hand():
    # PUAutoencoder higher on all six sets: the exact two-sided signed-rank p is 2 / 2**6.
    rows = [dict(dataset=f"d{i}", model=model, seed="0", status="ok", roc_auc=str(auc),
                 average_precision="0.5")
            for i in range(6) for model, auc in (("PUAutoencoder", 0.9 - 0.01 * i), ("IForest", 0.8))]
    rows += [dict(dataset=f"d{i}", model="HGB", seed="0", status="ok", roc_auc=str(0.9 - 0.01 * i),
                  average_precision="0.5") for i in range(6)]
    summary = bench.summarise(rows)
    assert "| IForest | 6 | 0.875 | 0.800 | 6 | 0.031 |" in summary
    assert "| HGB | 6 | 0.875 | 0.875 | 0 | — |" in summary  # identical scores: no test


def test_run_one_restores_torch_threads_and_plot_leaves_matplotlib_alone(tmp_path):
    import matplotlib
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        row = bench.run_one("thyroid", "IForest", 0, 0.1, threads=1)
        assert row["status"] == "ok" and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
    backend = matplotlib.get_backend()
    matplotlib.use("svg")  # a caller's own choice, which plot must not replace
    try:
        rows = [dict(dataset="d", model=m, seed="0", status="ok", roc_auc=str(a), average_precision="0.5")
                for m, a in (("PUAutoencoder", 0.9), ("IForest", 0.8))]
        written = bench.plot(rows, tmp_path)
        assert matplotlib.get_backend() == "svg"
    finally:
        matplotlib.use(backend)
    assert all(path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for path in written)


def test_retry_rewrite_that_fails_keeps_the_recorded_runs(tmp_path, monkeypatch):
    results = tmp_path / "results.csv"
    bench.run(["thyroid"], ["IForest"], [0, 1], results=results, progress=False)
    with open(results, newline="") as f:
        rows = list(csv.DictReader(f))
    rows[0]["status"] = "failed"
    with open(results, "w", newline="") as f:
        writer = csv.DictWriter(f, bench.FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    before = results.read_bytes()

    def broken_writerows(self, rows):
        raise OSError("No space left on device")

    monkeypatch.setattr(csv.DictWriter, "writerows", broken_writerows)
    with pytest.raises(OSError, match="No space left"):
        bench.run(["thyroid"], ["IForest"], [0, 1], results=results, retry_failed=True, progress=False)
    assert results.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
