import io

import pytest

from pu_detect import cli


def test_demo_prints_table_and_writes_png(tmp_path, monkeypatch):
    # Fewer epochs keep the test quick; the command itself uses the defaults.
    from pu_detect import bench

    for name in ("PUAutoencoder", "ABC", "Autoencoder"):
        spec = bench.MODELS[name]
        monkeypatch.setitem(
            bench.MODELS, name,
            bench.ModelSpec(lambda seed, d, make=spec.make: make(seed, d).set_params(epochs=3), spec.semi_supervised),
        )
    out = io.StringIO()
    path = tmp_path / "demo.png"
    results = cli.demo("cardio", seed=1, output=path, out=out)
    text = out.getvalue()
    for name in cli.DEMO_MODELS:
        assert name in text
        assert 0.0 <= results[name]["roc_auc"] <= 1.0
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_main_rejects_unknown_dataset():
    with pytest.raises(SystemExit):
        cli.main(["demo", "--dataset", "nope"])
