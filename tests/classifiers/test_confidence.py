"""ConfidenceCalibratedClassifier: the joint confidence loss and outlier exposure make off-data inputs uncertain."""

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from pu_detect import ConfidenceCalibratedClassifier, ConfidenceDetector, RCEClassifier
from pu_detect.classifiers import synthetic_outliers


def _ood_auc(clf, X_in, X_out):
    detector = ConfidenceDetector(clf).fit(X_in)
    scores = np.r_[detector.decision_function(X_in), detector.decision_function(X_out)]
    return roc_auc_score(np.r_[np.zeros(len(X_in)), np.ones(len(X_out))], scores)


def test_given_outliers_make_the_max_softmax_separate_them(digits):
    X, y = digits
    inside, outside = y < 5, y >= 5  # digits 0-4 are the classes, 5-9 out of distribution
    X_in, y_in, X_out = X[inside][:700], y[inside][:700], X[outside]
    plain = RCEClassifier(loss="ce", hidden_dims=(64,), epochs=40, random_state=0).fit(X_in, y_in)
    calibrated = ConfidenceCalibratedClassifier(outliers="given", hidden_dims=(64,), epochs=40, lr=1e-3,
                                                random_state=0).fit(X_in, y_in, X_out=X_out[:300])
    held_in, held_out = X[inside][700:], X_out[300:]
    assert calibrated.score(held_in, y[inside][700:]) > 0.9
    assert _ood_auc(calibrated, held_in, held_out) > _ood_auc(plain, held_in, held_out) + 0.05
    probabilities = calibrated.predict_proba(held_out)
    assert probabilities.max(1).mean() < 0.5  # near uniform (0.2) on unseen outliers of the same kind


def test_joint_gan_training_lowers_confidence_on_noise_and_keeps_the_gan_in_clip(digits):
    X, y = digits
    clf = ConfidenceCalibratedClassifier(hidden_dims=(64,), epochs=30, lr=1e-3, random_state=0).fit(X[:1000], y[:1000])
    plain = RCEClassifier(loss="ce", hidden_dims=(64,), epochs=30, random_state=0).fit(X[:1000], y[:1000])
    noise = np.random.default_rng(0).uniform(size=(200, 64)).astype(np.float32)
    assert clf.predict_proba(noise).max(1).mean() < plain.predict_proba(noise).max(1).mean() - 0.05
    with torch.no_grad():
        rows = clf.module_.gan.generate(torch.randn(50, 32, generator=torch.Generator().manual_seed(0)))
    assert float(rows.min()) >= 0.0 and float(rows.max()) <= 1.0
    again = ConfidenceCalibratedClassifier(hidden_dims=(64,), epochs=30, lr=1e-3, random_state=0).fit(X[:1000], y[:1000])
    np.testing.assert_array_equal(again.predict_proba(noise), clf.predict_proba(noise))


def _is_permutation(row, of):
    return bool(torch.equal(row.sort().values, of.sort().values))


def test_synthetic_outliers_permute_rows_or_average_two_classes():
    x = torch.randperm(40, generator=torch.Generator().manual_seed(1)).float().reshape(8, 5)  # distinct values
    target = torch.tensor([0, 0, 1, 1, 2, 2, 0, 1])
    out = synthetic_outliers(x, target, torch.Generator().manual_seed(0))
    kinds = []
    for i, row in enumerate(out):
        mixed = [j for j in range(8) if target[j] != target[i] and torch.allclose(row, (x[i] + x[j]) / 2)]
        assert _is_permutation(row, x[i]) != bool(mixed)  # exactly one of the two kinds
        kinds.append("mixed" if mixed else "permuted")
    assert set(kinds) == {"mixed", "permuted"}
    np.testing.assert_array_equal(out, synthetic_outliers(x, target, torch.Generator().manual_seed(0)))
    # one class only: no partner of another class, so every row is permuted
    same = synthetic_outliers(x, torch.zeros(8, dtype=torch.long), torch.Generator().manual_seed(0))
    assert all(_is_permutation(row, x[i]) for i, row in enumerate(same))


def test_synthetic_outliers_shuffle_whole_patches_of_images():
    x = torch.randperm(64 * 6, generator=torch.Generator().manual_seed(2)).float().reshape(6, 64)
    out = synthetic_outliers(x, torch.arange(6), torch.Generator().manual_seed(3), image_shape=(1, 8, 8))

    def patches(row):  # the 16 2 x 2 patches of an 8 x 8 image, as sorted tuples of their pixels in place
        image = row.reshape(4, 2, 4, 2).permute(0, 2, 1, 3).reshape(16, 4)
        return sorted(map(tuple, image.tolist()))

    shuffled = [i for i, row in enumerate(out) if patches(row) == patches(x[i]) and not torch.equal(row, x[i])]
    assert shuffled  # some rows are patch-shuffled: the same 2 x 2 patches (pixels in their order), moved
    for i, row in enumerate(out):
        mixed = any(torch.allclose(row, (x[i] + x[j]) / 2) for j in range(6) if j != i)
        assert (i in shuffled) or mixed or _is_permutation(row, x[i])


def test_synthetic_outliers_name_bad_arguments():
    x, target, generator = torch.zeros(3, 4), torch.tensor([0, 1, 2]), torch.Generator()
    with pytest.raises(ValueError, match=r"image_shape must be a \(C, H, W\) shape of x's 4 features"):
        synthetic_outliers(x, target, generator, image_shape=(1, 3, 3))
    with pytest.raises(ValueError, match=r"target must hold one class index >= 0 per row of x \(3 rows\)"):
        synthetic_outliers(x, target[:2], generator)
    with pytest.raises(TypeError, match="generator must be a torch.Generator; got int 0"):
        synthetic_outliers(x, target, 0)


@pytest.mark.parametrize("input_shape", [None, (1, 8, 8)])
def test_synthetic_outliers_make_unseen_digits_and_noise_less_confident(digits, input_shape):
    X, y = digits
    inside = y < 5
    X_in, y_in, held_in, held_out = X[inside][:700], y[inside][:700], X[inside][700:], X[~inside]
    noise = np.random.default_rng(0).uniform(size=(300, 64)).astype(np.float32)
    plain = RCEClassifier(loss="ce", hidden_dims=(64,), epochs=40, random_state=0).fit(X_in, y_in)
    calibrated = ConfidenceCalibratedClassifier(outliers="synthetic", input_shape=input_shape, architecture="mlp",
                                                hidden_dims=(64,), epochs=40, lr=1e-3, random_state=0).fit(X_in, y_in)
    assert calibrated.score(held_in, y[inside][700:]) > 0.88
    assert _ood_auc(calibrated, held_in, held_out) > _ood_auc(plain, held_in, held_out) + 0.01  # 0.92 / 0.91 vs 0.89
    assert _ood_auc(calibrated, held_in, noise) > max(0.98, _ood_auc(plain, held_in, noise) + 0.05)  # 1.00 vs 0.87


def test_x_out_must_match_the_outlier_source(digits):
    X, y = digits
    with pytest.raises(ValueError, match="X_out must be out-of-distribution rows with outliers='given'"):
        ConfidenceCalibratedClassifier(outliers="given", epochs=1).fit(X[:50], y[:50])
    with pytest.raises(ValueError, match="X_out must be None with outliers='gan'"):
        ConfidenceCalibratedClassifier(epochs=1).fit(X[:50], y[:50], X_out=X[:5])
    with pytest.raises(ValueError, match="X_out must be None with outliers='synthetic'"):
        ConfidenceCalibratedClassifier(outliers="synthetic", epochs=1).fit(X[:50], y[:50], X_out=X[:5])
    with pytest.raises(ValueError, match="X_out must be rows of X's 64 features"):
        ConfidenceCalibratedClassifier(outliers="given", epochs=1).fit(X[:50], y[:50], X_out=X[:5, :10])
    with pytest.raises(ValueError, match="beta"):
        ConfidenceCalibratedClassifier(beta=-1.0).fit(X[:50], y[:50])
