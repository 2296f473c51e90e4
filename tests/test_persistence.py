import json
import pickle
import zipfile

import numpy as np
import pytest
from sklearn.base import clone
from helpers import ESTIMATORS, ids, make_contaminated

from pu_detect import PUAutoencoder, RCEClassifier
from pu_detect.persistence import FORMAT_VERSION, load, save


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=ids(ESTIMATORS))
def test_save_load_round_trip_gives_identical_scores(estimator, tmp_path):
    X_unlabeled, X_anom, X, _ = make_contaminated(seed=0, n_normal=200, n_hidden=20)
    fitted = clone(estimator).fit(X_unlabeled, X_anom)
    path = tmp_path / "model.pud"
    fitted.save(path)
    restored = type(fitted).load(path)
    assert type(restored) is type(fitted) and restored.get_params() == fitted.get_params()
    np.testing.assert_array_equal(restored.decision_function(X), fitted.decision_function(X))
    np.testing.assert_array_equal(restored.decision_scores_, fitted.decision_scores_)
    if hasattr(fitted, "center_"):
        np.testing.assert_array_equal(restored.center_, fitted.center_)
    np.testing.assert_array_equal(restored.predict(X), fitted.predict(X))
    assert restored.threshold_ == fitted.threshold_ and restored.history_ == fitted.history_
    # pickle keeps working, and a loaded model pickles too
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(restored)).decision_function(X[:5]),
                                  fitted.decision_function(X[:5]))


def test_classifier_round_trip_with_string_classes_and_feature_names(tmp_path):
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, 3)), columns=["a", "b", "c"])
    y = np.where(X["a"] > 0, "yes", "no")
    clf = RCEClassifier(hidden_dims=(8,), epochs=5, random_state=0).fit(X, y)
    save(clf, tmp_path / "clf.pud")
    restored = load(tmp_path / "clf.pud")
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    assert list(restored.classes_) == ["no", "yes"] and list(restored.feature_names_in_) == ["a", "b", "c"]
    with pytest.raises(ValueError, match="feature names"):
        restored.predict(X.rename(columns={"a": "z"}))


def fitted_file(tmp_path):
    X_unlabeled, X_anom, _, _ = make_contaminated(seed=0, n_normal=100, n_hidden=10)
    path = tmp_path / "m.pud"
    PUAutoencoder(hidden_dims=(8,), latent_dim=2, epochs=2, random_state=0).fit(X_unlabeled, X_anom).save(path)
    return path


def rewrite(path, meta_change=None, tensors=None):
    with zipfile.ZipFile(path) as archive:
        meta, payload = json.loads(archive.read("meta.json")), archive.read("tensors.pt")
    if meta_change:
        meta_change(meta)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("meta.json", json.dumps(meta))
        archive.writestr("tensors.pt", payload if tensors is None else tensors)


def test_other_format_version_is_refused(tmp_path):
    path = fitted_file(tmp_path)
    rewrite(path, lambda meta: meta.update(format_version=FORMAT_VERSION + 1))
    with pytest.raises(ValueError, match=rf"format version {FORMAT_VERSION + 1} \(written by pu_detect "
                                         rf".*\); this pu_detect reads version 1 or 2"):
        load(path)


def test_truncated_file_is_refused(tmp_path):
    path = fitted_file(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="is not a readable pu_detect model file"):
        load(path)


def test_file_that_is_not_ours_is_refused(tmp_path):
    other = tmp_path / "other.pud"
    other.write_bytes(b"just some bytes")
    with pytest.raises(ValueError, match="is not a readable pu_detect model file"):
        load(other)
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("meta.json", json.dumps({"format": "sklearn"}))
        archive.writestr("tensors.pt", b"")
    with pytest.raises(ValueError, match="is not a pu_detect model file: its format is 'sklearn'"):
        load(other)


def test_damaged_weights_and_wrong_class_are_refused(tmp_path):
    path = fitted_file(tmp_path)
    rewrite(path, tensors=b"not a tensor file")
    with pytest.raises(ValueError, match="has damaged weights"):
        load(path)
    path = fitted_file(tmp_path)
    rewrite(path, lambda meta: meta.update({"class": "os.system"}))
    with pytest.raises(ValueError, match="'os.system', which is not a pu_detect estimator"):
        load(path)
    path = fitted_file(tmp_path)
    rewrite(path, lambda meta: meta["params"].update(hidden_dims={"__tuple__": [16]}))
    with pytest.raises(ValueError, match="does not match the PUAutoencoder it describes"):
        load(path)
    with pytest.raises(ValueError, match="holds a PUAutoencoder, not a RCEClassifier"):
        RCEClassifier.load(fitted_file(tmp_path))


def test_unsaveable_parameter_is_named(tmp_path):
    X_unlabeled, X_anom, _, _ = make_contaminated(seed=0, n_normal=100, n_hidden=10)
    model = PUAutoencoder(epochs=1, random_state=np.random.RandomState(0)).fit(X_unlabeled, X_anom)
    with pytest.raises(TypeError, match="random_state cannot be saved: it is a RandomState"):
        model.save(tmp_path / "m.pud")


@pytest.mark.parametrize("name", ["KDensityDetector", "NonMEDetector", "ConfidenceDetector"])
def test_adversarial_detectors_save_with_their_classifier(name, tmp_path, digits):
    import pu_detect

    X, y = digits
    clf = RCEClassifier(hidden_dims=(16,), epochs=3, random_state=0).fit(X[:500], y[:500])
    detector = getattr(pu_detect, name)(clf, contamination=0.1).fit(X[:500], y[:500])
    detector.save(tmp_path / "detector.pud")
    restored = type(detector).load(tmp_path / "detector.pud")
    assert type(restored.classifier) is RCEClassifier and restored.classifier is not clf
    np.testing.assert_array_equal(restored.decision_function(X[500:]), detector.decision_function(X[500:]))
    np.testing.assert_array_equal(restored.predict(X[500:]), detector.predict(X[500:]))
    np.testing.assert_array_equal(restored.classifier.predict_proba(X[500:]), clf.predict_proba(X[500:]))
    assert restored.threshold_ == detector.threshold_


def test_a_detector_over_a_plain_module_or_with_a_features_function_is_not_saved(tmp_path, digits):
    import torch

    from pu_detect import KDensityDetector, NonMEDetector

    X, _ = digits
    with pytest.raises(TypeError, match="classifier cannot be saved: it is a Linear, not a pu_detect estimator"):
        NonMEDetector(torch.nn.Linear(64, 10)).fit(X[:50]).save(tmp_path / "d.pud")
    clf = RCEClassifier(hidden_dims=(16,), epochs=2, random_state=0).fit(X[:200], np.arange(200) % 10)
    detector = KDensityDetector(clf, features=lambda module, x: module.features(x)).fit(X[:200])
    with pytest.raises(TypeError, match="features cannot be saved: it is a callable"):
        detector.save(tmp_path / "d.pud")
    assert not (tmp_path / "d.pud").exists()


def test_a_failed_save_leaves_the_previous_file_intact(tmp_path, monkeypatch):
    X_unlabeled, X_anom, X, _ = make_contaminated(seed=0, n_normal=100, n_hidden=10)
    path = tmp_path / "model.pud"
    good = PUAutoencoder(epochs=1, random_state=0).fit(X_unlabeled, X_anom)
    good.save(path)
    before = path.read_bytes()

    def disk_full(self, name, data, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(zipfile.ZipFile, "writestr", disk_full)
    with pytest.raises(OSError, match="No space left"):
        PUAutoencoder(epochs=2, random_state=1).fit(X_unlabeled, X_anom).save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.pud"]
    np.testing.assert_array_equal(load(path).decision_function(X), good.decision_function(X))


def test_save_refuses_parameters_that_no_longer_describe_the_network(tmp_path):
    X_unlabeled, X_anom, _, _ = make_contaminated(seed=0, n_normal=100, n_hidden=10)
    model = PUAutoencoder(epochs=1, random_state=0).fit(X_unlabeled, X_anom).set_params(hidden_dims=(3,))
    with pytest.raises(ValueError, match="parameters .* no longer describe its fitted module_"):
        model.save(tmp_path / "m.pud")
    assert not (tmp_path / "m.pud").exists()


def test_repeated_members_are_refused(tmp_path):
    path = fitted_file(tmp_path)
    with zipfile.ZipFile(path) as archive:
        meta, payload = archive.read("meta.json"), archive.read("tensors.pt")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name
        with zipfile.ZipFile(path, "a") as archive:
            archive.writestr("meta.json", meta)
    with pytest.raises(ValueError, match=r"members \['meta.json'\] appear more than once"):
        load(path)


def _rewrite_tensors(path, change):
    import io

    import torch

    with zipfile.ZipFile(path) as archive:
        meta, payload = archive.read("meta.json"), archive.read("tensors.pt")
    tensors = torch.load(io.BytesIO(payload), weights_only=True)
    change(tensors)
    buffer = io.BytesIO()
    torch.save(tensors, buffer)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("meta.json", meta)
        archive.writestr("tensors.pt", buffer.getvalue())


def svdd_file(tmp_path):
    from pu_detect import PUDeepSVDD

    X_unlabeled, X_anom, _, _ = make_contaminated(seed=0, n_normal=100, n_hidden=10)
    path = tmp_path / "svdd.pud"
    PUDeepSVDD(hidden_dims=(8,), latent_dim=3, epochs=1, pretrain_epochs=1, random_state=0).fit(
        X_unlabeled, X_anom).save(path)
    return path


def test_a_centre_of_the_wrong_shape_is_refused(tmp_path):
    import torch

    path = svdd_file(tmp_path)
    _rewrite_tensors(path, lambda t: t.update(center_=torch.zeros(1, dtype=torch.float64)))
    with pytest.raises(ValueError, match=r"center_ must be 3 finite values \(latent_dim\); got shape \(1,\)"):
        load(path)


def test_non_finite_weights_are_refused(tmp_path):
    path = fitted_file(tmp_path)

    def poison(tensors):
        key = next(k for k in tensors if k.startswith("module_.") and k.endswith("weight"))
        tensors[key][0, 0] = float("nan")

    _rewrite_tensors(path, poison)
    with pytest.raises(ValueError, match="non-finite values .* in module_"):
        load(path)


@pytest.mark.parametrize("name", ["decision_function", "epochs", "__class__", "os.system"])
def test_attributes_that_would_shadow_or_are_not_fitted_names_are_refused(tmp_path, name):
    path = fitted_file(tmp_path)
    rewrite(path, lambda meta: meta["attributes"].update({name: 1}))
    with pytest.raises(ValueError, match="shadow|not a fitted attribute's name"):
        load(path)


def test_unknown_members_non_regular_files_and_zip_bombs_are_refused(tmp_path):
    import os

    path = fitted_file(tmp_path)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("extra.bin", b"x")
    with pytest.raises(ValueError, match=r"holds members \['extra.bin'\] besides"):
        load(path)
    fifo = tmp_path / "fifo.pud"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match="is not a regular file"):
        load(fifo)  # returns at once instead of blocking on the pipe
    with pytest.raises(ValueError, match="is not a regular file"):
        load(tmp_path)
    bomb = tmp_path / "bomb.pud"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("meta.json", b"{}")
        archive.writestr("tensors.pt", b"\0" * 2**25)  # 32 MiB of zeros compress about 1000-fold
    with pytest.raises(ValueError, match="refused before decompressing"):
        load(bomb)


def test_a_model_saved_for_cuda_loads_on_the_cpu_with_a_warning(tmp_path):
    X_unlabeled, X_anom, X, _ = make_contaminated(seed=0, n_normal=100, n_hidden=10)
    model = PUAutoencoder(hidden_dims=(8,), latent_dim=2, epochs=1, random_state=0).fit(X_unlabeled, X_anom)
    path = tmp_path / "m.pud"
    model.save(path)
    rewrite(path, lambda meta: meta["params"].update(device="cuda:7"))
    with pytest.warns(UserWarning, match="saved with device='cuda:7', which this machine does not have"):
        restored = load(path)
    assert restored.device == "cuda:7" and next(restored.module_.parameters()).device.type == "cpu"
    np.testing.assert_array_equal(restored.decision_function(X), model.decision_function(X))


def test_parameters_the_class_does_not_have_are_refused(tmp_path):
    path = fitted_file(tmp_path)
    rewrite(path, lambda meta: meta["params"].update(colour="red"))
    with pytest.raises(ValueError, match=r"gives PUAutoencoder parameters it does not have: \['colour'\]"):
        load(path)


def test_a_member_larger_than_its_header_declares_is_refused(tmp_path):
    import struct

    path = tmp_path / "liar.pud"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("meta.json", b"{}")
        archive.writestr("tensors.pt", b"\0" * 2**20)
    data = bytearray(path.read_bytes())
    at = data.rfind(b"PK\x01\x02")  # the central-directory record of the last member, tensors.pt
    assert data[at + 46 : at + 56] == b"tensors.pt"
    data[at + 24 : at + 28] = struct.pack("<I", 1000)  # declare 1,000 bytes instead of 1 MiB
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="Bad CRC-32 for file 'tensors.pt'"):  # read up to 1,000 bytes only
        load(path)


@pytest.mark.parametrize("name", ["ABSClassifier", "ConfidenceCalibratedClassifier", "given outliers"])
def test_generative_classifiers_and_mahalanobis_round_trip(name, tmp_path, digits):
    from pu_detect import ABSClassifier, ConfidenceCalibratedClassifier, MahalanobisDetector

    X, y = digits
    path = tmp_path / "model.zip"
    if name == "ABSClassifier":
        clf = ABSClassifier(hidden_dims=(16,), epochs=2, n_prior_samples=50, inference_steps=3, random_state=0)
        clf.fit(X[:300], y[:300])
    elif name == "given outliers":
        clf = ConfidenceCalibratedClassifier(outliers="given", hidden_dims=(16,), epochs=2, random_state=0)
        clf.fit(X[:300], y[:300], X_out=X[300:350])
    else:
        clf = ConfidenceCalibratedClassifier(hidden_dims=(16,), epochs=2, random_state=0).fit(X[:300], y[:300])
    clf.save(path)
    np.testing.assert_array_equal(load(path).predict_proba(X[:20]), clf.predict_proba(X[:20]))
    if name != "ABSClassifier":  # ABS has no penultimate features
        detector = MahalanobisDetector(clf).fit(X[:300], y[:300])
        detector.save(path)
        np.testing.assert_array_equal(load(path).decision_function(X[:20]), detector.decision_function(X[:20]))
