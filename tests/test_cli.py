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


def test_version_and_default_demo_set(capsys):
    import pu_detect

    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--version"])
    assert exit_info.value.code == 0 and capsys.readouterr().out.strip() == f"pu-detect {pu_detect.__version__}"
    assert cli.demo.__defaults__[0] == "cardio"


def test_unknown_model_is_an_argparse_error_listing_the_names(capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["bench", "--models", "PUAE", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and "unknown model(s) PUAE; choose from PUAutoencoder" in err
    assert "Traceback" not in err


def test_a_model_whose_package_is_missing_is_refused_up_front(capsys, tmp_path, monkeypatch):
    from pu_detect import bench

    monkeypatch.setattr(bench, "available", lambda name: name != "XGBOD")
    with pytest.raises(SystemExit):
        cli.main(["bench", "--models", "PUAutoencoder,XGBOD", "--out", str(tmp_path)])
    assert "XGBOD needs the package xgboost, which is not installed" in capsys.readouterr().err
    assert not (tmp_path / "results.csv").exists()


def test_data_folder_comes_from_the_environment_or_the_argument(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv(cli.DATA_ENV, str(tmp_path))
    with pytest.raises(SystemExit):  # $PU_DETECT_DATA/adbench does not exist
        cli.main(["bench", "--out", str(tmp_path / "out")])
    assert f"argument --data-dir: {tmp_path / 'adbench'} is not a folder" in capsys.readouterr().err
    monkeypatch.delenv(cli.DATA_ENV)
    with pytest.raises(SystemExit):
        cli.main(["bench", "--data-dir", str(tmp_path / "nope"), "--out", str(tmp_path / "out")])
    with pytest.raises(SystemExit):
        cli.main(["bench", "--max-rows", "0", "--out", str(tmp_path / "out")])
    assert "--max-rows: must be an integer >= 1" in capsys.readouterr().err
