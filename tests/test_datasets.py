import gzip
from pathlib import Path

import numpy as np
import pytest

from pu_detect.datasets import load_dataset, load_mnist, load_npz, mnist_pu_split, pu_split, resolve_dataset

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.mark.parametrize("name, shape, n_anomalies", [("thyroid", (3772, 6), 93), ("cardio", (1831, 21), 176)])
def test_shipped_datasets(name, shape, n_anomalies):
    X, y = load_dataset(name)
    assert X.shape == shape and y.shape == (shape[0],)
    assert int(y.sum()) == n_anomalies and set(np.unique(y)) == {0, 1}


def test_unknown_dataset_name():
    with pytest.raises(ValueError, match="name must be one of 'thyroid', 'cardio'; got 'mnist'"):
        load_dataset("mnist")
    with pytest.raises(ValueError, match="dataset must be one of thyroid, cardio or the path"):
        resolve_dataset("no/such/file.npz")


def test_pu_split_follows_protocol():
    X, y = load_dataset("cardio")
    split = pu_split(X, y, random_state=3)
    n_train_anomalies = int(split.y_train.sum())
    assert abs(len(split.X_test) - 0.3 * len(X)) < 1
    assert abs(split.y_test.mean() - y.mean()) < 0.01  # stratified
    assert split.y_pu.sum() == max(1, round(0.1 * n_train_anomalies))
    assert np.all(split.y_train[split.y_pu == 1] == 1)  # labeled rows are true anomalies
    np.testing.assert_allclose(split.X_train.min(axis=0), 0, atol=1e-12)  # MinMax on train
    np.testing.assert_allclose(split.X_train.max(axis=0), 1, atol=1e-12)
    again = pu_split(X, y, random_state=3)
    np.testing.assert_array_equal(split.y_pu, again.y_pu)
    assert not np.array_equal(split.y_pu, pu_split(X, y, random_state=4).y_pu)


def test_pu_split_labels_at_least_one():
    X, y = load_dataset("thyroid")
    assert pu_split(X, y, labeled_fraction=0.001, random_state=0).y_pu.sum() == 1


def test_load_npz_roundtrip_and_errors(tmp_path):
    path = tmp_path / "set.npz"
    np.savez(path, X=np.ones((4, 2)), y=np.array([0, 1, 0, 0]))
    X, y = load_npz(path)
    assert X.shape == (4, 2) and y.tolist() == [0, 1, 0, 0]
    np.savez(tmp_path / "bad.npz", data=np.ones(3))
    with pytest.raises(ValueError, match=r"without \['X', 'y'\]"):
        load_npz(tmp_path / "bad.npz")


def _write_idx(path, array, compress):
    header = bytes([0, 0, 8, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    opener = gzip.open if compress else open
    with opener(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


@pytest.mark.parametrize("compress", [True, False])
def test_load_mnist_idx(tmp_path, compress):
    images = np.arange(3 * 4 * 4).reshape(3, 4, 4) % 256
    labels = np.array([7, 2, 1])
    suffix = ".gz" if compress else ""
    _write_idx(tmp_path / f"img{suffix}", images, compress)
    _write_idx(tmp_path / f"lab{suffix}", labels, compress)
    X, y = load_mnist(tmp_path / f"img{suffix}", tmp_path / f"lab{suffix}")
    assert X.shape == (3, 16) and X.dtype == np.float32
    np.testing.assert_allclose(X * 255, images.reshape(3, 16))
    assert y.tolist() == [7, 2, 1]


def test_load_mnist_rejects_other_files(tmp_path):
    (tmp_path / "junk").write_bytes(b"not an idx file")
    with pytest.raises(ValueError, match="IDX file"):
        load_mnist(tmp_path / "junk", tmp_path / "junk")


@pytest.mark.skipif(not (SHARED / "mnist").exists(), reason="shared MNIST not present")
def test_real_mnist_test_set():
    X, y = load_mnist(SHARED / "mnist" / "t10k-images-idx3-ubyte.gz", SHARED / "mnist" / "t10k-labels-idx1-ubyte.gz")
    assert X.shape == (10000, 784) and 0 <= X.min() and X.max() == 1
    assert np.bincount(y).tolist()[:2] == [980, 1135]


def test_mnist_pu_split_follows_protocol():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(10), 600)
    X = rng.uniform(size=(len(y), 4)).astype(np.float32)
    X[:, 0] = y  # lets the test read each row's digit back
    split = mnist_pu_split(X, y, normal_digit=9, random_state=0)
    digits_train, digits_test = split.X_train[:, 0].astype(int), split.X_test[:, 0].astype(int)
    unlabeled = split.y_pu == 0
    n_normal = int((digits_train == 9).sum())
    assert n_normal == 420  # every training image of the normal digit (70% of 600)
    hidden = unlabeled & (digits_train != 9)
    assert hidden.sum() == round(0.05 / 0.95 * n_normal)  # 5% of the unlabeled pool
    assert split.y_pu.sum() == round(0.05 * unlabeled.sum())  # labeled: 5% of the pool
    assert not np.isin(digits_train, [0]).any()  # the unseen digit (9 + 1) % 10 never in training
    assert set(digits_train[split.y_pu == 1]) <= set(range(1, 9))
    assert (split.test_kind == 1).sum() == (split.test_kind == 2).sum() == 150
    assert set(digits_test[split.test_kind == 2]) == {0}
    assert set(digits_test[split.test_kind == 0]) == {9}
