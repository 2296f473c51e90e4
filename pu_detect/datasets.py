"""Datasets: the sets shipped with the package, file loaders and the PU split.

Nothing here downloads: shipped sets are read from the package, others from
files the caller names.
"""

import gzip
import zipfile
import zlib
from importlib import resources
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import MinMaxScaler
from sklearn.utils import Bunch

from .utils import validation as v

#: Names accepted by ``load_dataset`` (provenance in ``pu_detect/data/README.md``).
SHIPPED_DATASETS = ("thyroid", "cardio")


def load_npz(path):
    """Load an ADBench-style ``.npz`` file holding ``X`` (2-D) and ``y`` (1 = anomaly, 0 = normal).

    Every error names the file: one that is not a readable ``.npz``, lacks
    ``X`` or ``y``, holds non-numeric or non-finite features, or labels other
    than 0/1.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features), float64
    y : ndarray of shape (n_samples,), int64

    Examples
    --------
    >>> import pathlib, tempfile, numpy as np
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "toy.npz"
    >>> np.savez(path, X=np.arange(6.0).reshape(3, 2), y=[0, 0, 1])
    >>> X, y = load_npz(path)
    >>> X.shape, y.tolist()
    ((3, 2), [0, 0, 1])
    """
    path = Path(path)
    if not path.is_file():
        v._fail("path", "an existing .npz file", str(path))
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = {"X", "y"} - set(archive.files)
            if missing:
                v._fail("path", "an .npz file with arrays 'X' and 'y'", f"{path} without {sorted(missing)}")
            X, y = archive["X"], archive["y"]
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as error:
        v._fail("path", "a readable .npz file (numpy's savez format)", f"{path}: {type(error).__name__}: {error}")
    except ValueError as error:
        if str(error).startswith("path must be"):
            raise
        v._fail("path", "a readable .npz file (numpy's savez format, no pickled objects)",
                f"{path}: {error}")
    if X.ndim != 2 or len(X) != len(np.ravel(y)):
        v._fail("path", "an .npz file with 2-D X and one label per row", f"{path}: X {X.shape}, y {y.shape}")
    try:
        X = v.check_rows(X, "X", dtype=np.float64)
        y = v.check_anomaly_labels(np.ravel(y), len(X))
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from error
    return X, y


def load_dataset(name):
    """Load a dataset shipped with pu_detect.

    Parameters
    ----------
    name : {"thyroid", "cardio"}

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,), 1 = anomaly, 0 = normal

    Examples
    --------
    >>> from pu_detect.datasets import load_dataset
    >>> X, y = load_dataset("thyroid")
    >>> X.shape, int(y.sum())
    ((3772, 6), 93)
    """
    v.check_option(name, "name", SHIPPED_DATASETS)
    with resources.as_file(resources.files("pu_detect") / "data" / f"{name}.npz") as path:
        return load_npz(path)


def _read_idx(path):
    opener = gzip.open if str(path).endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise
    except (OSError, EOFError) as error:  # a damaged gzip stream, a directory ...
        v._fail("path", "a readable IDX file (gzip-compressed or not)", f"{path}: {type(error).__name__}: {error}")
    if len(data) < 4 or data[:2] != b"\x00\x00" or data[2] != 0x08:
        v._fail("path", "an IDX file of unsigned bytes (magic 0x0000080N)", str(path))
    n_dims = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(n_dims))
    values = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * n_dims)
    if values.size != int(np.prod(shape)):
        v._fail("path", f"an IDX file with {int(np.prod(shape))} values", f"{values.size} in {path}")
    return values.reshape(shape)


def load_mnist(images_path, labels_path):
    """Load MNIST images and labels from IDX files (gzip-compressed or not).

    Parameters
    ----------
    images_path, labels_path : str or path-like
        The IDX files, for example MNIST's ``t10k-images-idx3-ubyte.gz`` and
        ``t10k-labels-idx1-ubyte.gz`` (nothing is downloaded).

    Returns
    -------
    X : ndarray of shape (n_images, 784), float32 in [0, 1] (pixels / 255)
    y : ndarray of shape (n_images,), the digits

    Examples
    --------
    Two 28 x 28 images written in the IDX format, then read back:

    >>> import gzip, pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> header = bytes([0, 0, 8, 3]) + (2).to_bytes(4, "big") + (28).to_bytes(4, "big") * 2
    >>> _ = gzip.open(folder / "images.gz", "wb").write(header + bytes(range(256)) * 6 + bytes(32))
    >>> _ = gzip.open(folder / "labels.gz", "wb").write(bytes([0, 0, 8, 1]) + (2).to_bytes(4, "big") + bytes([3, 7]))
    >>> X, y = load_mnist(folder / "images.gz", folder / "labels.gz")
    >>> X.shape, y.tolist(), float(X.max())
    ((2, 784), [3, 7], 1.0)
    """
    images, labels = _read_idx(images_path), _read_idx(labels_path)
    if len(images) != len(labels):
        v._fail("labels_path", f"{len(images)} labels, one per image", len(labels))
    return images.reshape(len(images), -1).astype(np.float32) / 255.0, labels.astype(np.int64)


def pu_split(X, y, *, labeled_fraction=0.1, test_size=0.3, scale=True, random_state=0):
    """Split a labeled anomaly dataset by the tabular PU protocol (docs/protocols.md).

    A stratified train/test split (``random_state``); MinMax scaling fitted
    on the training part (``scale``); then ``max(1, round(labeled_fraction *
    n_train_anomalies))`` training anomalies, drawn with
    ``numpy.random.default_rng(random_state)``, become labeled. The other
    training anomalies stay in the unlabeled set as contamination.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
        True labels, 1 = anomaly.
    labeled_fraction : float in (0, 1]
    test_size : float in (0, 1)
    scale : bool
    random_state : int, numpy generator or None
        ``None`` draws a fresh seed; numpy's global random state is never used.

    Returns
    -------
    Bunch
        ``X_train``, ``y_pu`` (1 = labeled anomaly, 0 = unlabeled),
        ``y_train`` (true labels), ``X_test``, ``y_test``.

    Examples
    --------
    >>> from pu_detect.datasets import load_dataset, pu_split
    >>> split = pu_split(*load_dataset("thyroid"), random_state=0)
    >>> int(split.y_pu.sum()), int(split.y_train.sum())
    (6, 65)
    """
    labeled_fraction = v.check_float(labeled_fraction, "labeled_fraction", 0.0, 1.0, high_inclusive=True)
    test_size = v.check_float(test_size, "test_size", 0.0, 1.0)
    random_state = v.check_seed(random_state) % 2**32  # None: fresh entropy, never numpy's global RNG
    X = v.check_rows(X, "X", dtype=np.float64)
    y = v.check_anomaly_labels(y, len(X))
    if min(np.bincount(y, minlength=2)) < 2:
        v._fail("y", "at least 2 anomalies and 2 normal rows (the split is stratified)",
                f"{int(y.sum())} anomalies among {len(y)} rows")
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, stratify=y, random_state=random_state
    )
    if scale:
        scaler = MinMaxScaler().fit(X_train)
        X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    anomalies = np.flatnonzero(y_train == 1)
    if anomalies.size == 0:
        v._fail("y", "at least one anomaly (label 1) in the training part", "none")
    # Python's round (half to even), as the protocol is written.
    n_labeled = max(1, int(round(labeled_fraction * anomalies.size)))
    labeled = np.random.default_rng(random_state).choice(anomalies, n_labeled, replace=False)
    y_pu = np.zeros_like(y_train)
    y_pu[labeled] = 1
    return Bunch(X_train=X_train, y_pu=y_pu, y_train=y_train, X_test=X_test, y_test=y_test)


def mnist_pu_split(X, y, normal_digit, *, random_state=0, contamination=0.05, labeled=0.05,
                   n_test_anomalies=150, test_size=0.3):
    """Split MNIST by the MNIST PU protocol, with seen and unseen anomaly types (docs/protocols.md).

    Digit ``k = normal_digit`` is normal, ``(k + 1) % 10`` is the unseen
    anomaly type and the other eight digits are the seen anomaly types. After
    a stratified train/test split (``random_state``), the unlabeled pool holds
    every training image of ``k`` plus seen anomalies making up
    ``contamination`` of the pool; seen anomalies numbering ``labeled`` times
    the pool are labeled. The test set holds the test images of ``k`` and
    ``n_test_anomalies`` seen and as many unseen anomalies. All draws use
    ``numpy.random.default_rng(random_state)``.

    Returns
    -------
    Bunch
        ``X_train``, ``y_pu`` (1 = labeled anomaly), ``X_test`` and
        ``test_kind`` (0 normal, 1 seen anomaly, 2 unseen anomaly).

    Examples
    --------
    Any images with digit labels will do (here random ones, 100 per digit):

    >>> import numpy as np
    >>> X = np.random.default_rng(0).uniform(size=(1000, 784)).astype(np.float32)
    >>> y = np.repeat(np.arange(10), 100)
    >>> split = mnist_pu_split(X, y, normal_digit=3, n_test_anomalies=20)
    >>> int(split.y_pu.sum()), np.bincount(split.test_kind).tolist()
    (4, [30, 20, 20])
    """
    normal_digit = v.check_int(normal_digit, "normal_digit", min_value=0)
    if normal_digit > 9:
        v._fail("normal_digit", "a digit from 0 to 9", normal_digit)
    unseen = (normal_digit + 1) % 10
    random_state = v.check_seed(random_state) % 2**32
    contamination = v.check_float(contamination, "contamination", 0.0, 1.0)
    labeled = v.check_float(labeled, "labeled", 0.0, 1.0)
    n_test_anomalies = v.check_int(n_test_anomalies, "n_test_anomalies")
    test_size = v.check_float(test_size, "test_size", 0.0, 1.0)
    X = v.check_rows(X, "X", dtype=None)
    y = v.check_targets_1d(y, len(X))
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, stratify=y, random_state=random_state
    )
    rng = np.random.default_rng(random_state)
    seen_train = np.flatnonzero((y_train != normal_digit) & (y_train != unseen))
    normal_train = np.flatnonzero(y_train == normal_digit)
    n_hidden = int(round(contamination / (1 - contamination) * len(normal_train)))
    n_labeled = int(round(labeled * (len(normal_train) + n_hidden)))
    drawn = rng.choice(seen_train, n_hidden + n_labeled, replace=False)
    hidden, labeled_rows = drawn[:n_hidden], drawn[n_hidden:]
    train_rows = np.r_[normal_train, hidden, labeled_rows]
    y_pu = np.r_[np.zeros(len(normal_train) + n_hidden, int), np.ones(n_labeled, int)]

    normal_test = np.flatnonzero(y_test == normal_digit)
    seen_test = rng.choice(np.flatnonzero((y_test != normal_digit) & (y_test != unseen)), n_test_anomalies, replace=False)
    unseen_test = rng.choice(np.flatnonzero(y_test == unseen), n_test_anomalies, replace=False)
    test_rows = np.r_[normal_test, seen_test, unseen_test]
    test_kind = np.r_[np.zeros(len(normal_test), int), np.ones(n_test_anomalies, int), np.full(n_test_anomalies, 2)]
    return Bunch(X_train=X_train[train_rows], y_pu=y_pu, X_test=X_test[test_rows], test_kind=test_kind)


def resolve_dataset(name_or_path):
    """Load a shipped dataset by name, or an ``.npz`` file by path.

    Parameters
    ----------
    name_or_path : str or path-like
        ``"thyroid"`` or ``"cardio"``, or the path of an ``.npz`` file holding
        ``X`` and ``y`` (see ``load_npz``).

    Returns
    -------
    X, y : ndarray
        As ``load_npz`` returns them.

    Examples
    --------
    >>> X, y = resolve_dataset("cardio")
    >>> X.shape, int(y.sum())
    ((1831, 21), 176)
    """
    if name_or_path in SHIPPED_DATASETS:
        return load_dataset(name_or_path)
    path = Path(name_or_path)
    if not path.is_file():
        v._fail(
            "dataset",
            f"one of {', '.join(SHIPPED_DATASETS)} or the path of an .npz file",
            str(name_or_path),
        )
    return load_npz(path)
