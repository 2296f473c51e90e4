import numpy as np
import pytest
from helpers import make_contaminated

from pu_detect import PUAutoencoder, PUDeepSVDD
from pu_detect.anomaly.prior import FALLBACK_PRIOR, best_bin_estimate, estimate_prior


def test_best_bin_estimate_by_hand():
    # one candidate threshold per labeled score; t = 0.8 keeps all 4 labeled and 1 of 4 unlabeled
    assert best_bin_estimate([0.1, 0.2, 0.3, 0.9], [0.8, 0.9, 0.95, 0.99]) == 0.25


def test_perfect_separation_gives_the_top_bin_share():
    unlabeled = np.r_[np.zeros(80), np.ones(20)]  # 20% score like the anomalies
    assert best_bin_estimate(unlabeled, np.ones(200)) == pytest.approx(0.2)


@pytest.mark.parametrize("fraction", [0.05, 0.1, 0.2])
def test_recovers_known_anomaly_fraction(fraction):
    """Within 0.03 of the truth with 100 labeled anomalies (tolerance stated in the docs)."""
    rng = np.random.default_rng(0)
    n_u = 3000
    n_hidden = int(fraction * n_u)
    X_u = np.vstack([rng.normal(size=(n_u - n_hidden, 4)), rng.normal(3.5, 1, size=(n_hidden, 4))])
    X_a = rng.normal(3.5, 1, size=(100, 4))
    assert estimate_prior(X_u, X_a) == pytest.approx(fraction, abs=0.03)


def test_few_labeled_anomalies_give_a_conservative_estimate():
    rng = np.random.default_rng(1)
    X_u = np.vstack([rng.normal(size=(1800, 4)), rng.normal(3.5, 1, size=(200, 4))])
    estimate = estimate_prior(X_u, rng.normal(3.5, 1, size=(5, 4)))
    assert 0.1 - 0.03 <= estimate < 0.5  # the truth is 0.1; few labels err high, not low


def test_repeated_cross_fits_are_averaged_and_steadier():
    rng = np.random.default_rng(2)
    X_u = np.vstack([rng.normal(size=(285, 4)), rng.normal(2.5, 1, size=(15, 4))])
    X_a = rng.normal(2.5, 1, size=(4, 4))
    with pytest.warns(UserWarning, match="only 4 labeled anomalies"):
        single = [estimate_prior(X_u, X_a, random_state=s, n_repeats=1) for s in range(4)]
        averaged = [estimate_prior(X_u, X_a, random_state=s) for s in range(4)]  # 3 cross-fits each
        assert estimate_prior(X_u, X_a, random_state=0) == averaged[0]  # same seed, same estimate
    assert len(set(single)) > 1  # the fold assignment moves one cross-fit's estimate
    assert np.std(averaged) < np.std(single)
    with pytest.raises(ValueError, match="n_repeats must be"):
        estimate_prior(X_u, X_a, n_repeats=0)


def test_fewer_than_two_labeled_anomalies_fall_back_with_warning():
    X_u = np.random.default_rng(0).normal(size=(100, 3))
    with pytest.warns(UserWarning, match="at least 2 labeled anomalies"):
        assert estimate_prior(X_u, X_u[:1]) == FALLBACK_PRIOR


@pytest.mark.parametrize("model", [PUAutoencoder, PUDeepSVDD])
def test_prior_auto_is_estimated_and_stored(model):
    X_unlabeled, X_anom, _, _ = make_contaminated(0, n_hidden=60, n_labeled=30)
    fitted = model(prior="auto", epochs=1, random_state=0).fit(X_unlabeled, X_anom)
    assert fitted.prior_ == pytest.approx(60 / 660, abs=0.04)
    assert fitted.prior == "auto"


def test_elkan_noto_by_hand_and_on_known_fractions():
    from pu_detect.anomaly.prior import elkan_noto_estimate

    # c = 0.5; unlabeled g = 0.5 gives weight 1, g = 0.05 gives (1/19) -> mean (3/19 + 1) / 4
    assert elkan_noto_estimate([0.05, 0.05, 0.5, 0.05], [0.5, 0.5]) == pytest.approx((3 / 19 + 1) / 4)
    rng = np.random.default_rng(0)
    X_u = np.vstack([rng.normal(size=(2700, 4)), rng.normal(3.5, 1, size=(300, 4))])
    estimate = estimate_prior(X_u, rng.normal(3.5, 1, size=(100, 4)), method="elkan_noto")
    assert 0.04 < estimate < 0.1  # 0.056 here: boosting's probabilities of the labeled rows run high
    with pytest.raises(ValueError, match="method must be one of 'density_ratio', 'bbe', 'elkan_noto'"):
        estimate_prior(X_u, X_u[:5], method="km2")


def test_density_ratio_bound_on_known_mixtures():
    from pu_detect.anomaly.prior import density_ratio_estimate

    rng = np.random.default_rng(0)
    sigmoid = lambda t: 1 / (1 + np.exp(-t))  # noqa: E731
    anomalies = sigmoid(rng.normal(2, 1, 400))
    for prior in (0.05, 0.2, 0.5):
        n_anomalous = int(prior * 4000)
        unlabeled = sigmoid(np.r_[rng.normal(-3, 1, 4000 - n_anomalous), rng.normal(2, 1, n_anomalous)])
        assert 0.6 * prior < density_ratio_estimate(unlabeled, anomalies) <= 1.1 * prior  # runs low: see docstring
    # unlabeled rows drawn like the labeled anomalies: every ratio is about 1, the estimate near 1
    assert density_ratio_estimate(sigmoid(rng.normal(2, 1, 4000)), anomalies) > 0.8
    X_u = np.vstack([rng.normal(size=(2700, 4)), rng.normal(3.5, 1, size=(300, 4))])
    assert estimate_prior(X_u, rng.normal(3.5, 1, size=(100, 4)), method="density_ratio") == pytest.approx(0.1, abs=0.05)
    with pytest.raises(ValueError, match="quantile must be a real number"):
        density_ratio_estimate(unlabeled, anomalies, quantile=2.0)


def test_unreliable_estimates_warn():
    rng = np.random.default_rng(0)
    X_clean = rng.normal(size=(38, 3))
    with pytest.warns(UserWarning, match="is unreliable: only 2 labeled anomalies"):
        estimate_prior(X_clean, rng.normal(3, 1, size=(2, 3)))


def test_float64_rows_are_not_told_apart_by_their_rounding():
    """Labeled rows rounded to float32 beside float64 unlabeled ones were separable by rounding alone.

    Features with few distinct values (one decimal here) get one histogram bin per value, so a
    float32 copy of 0.1 (0.10000000149) landed in a bin of its own.
    """
    rng = np.random.default_rng(0)
    X_u = np.vstack([rng.normal(size=(900, 3)), rng.normal(3, 1, size=(100, 3))]).round(1)
    X_a = rng.normal(3, 1, size=(40, 3)).round(1)
    for method in ("bbe", "elkan_noto", "density_ratio"):
        as64 = estimate_prior(X_u, X_a, method=method)
        assert as64 == estimate_prior(X_u.astype(np.float32), X_a.astype(np.float32), method=method)
        assert as64 == pytest.approx(0.1, abs=0.06)


def test_any_classifier_can_score_the_rows():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    X_u = np.vstack([rng.normal(size=(900, 3)), rng.normal(3, 1, size=(100, 3))])
    X_a = rng.normal(3, 1, size=(40, 3))
    given = LogisticRegression()
    assert estimate_prior(X_u, X_a, classifier=given) == pytest.approx(0.1, abs=0.05)
    assert not hasattr(given, "coef_")  # cloned, never fitted in place
    with pytest.raises(ValueError, match="classifier must be a scikit-learn classifier with fit and predict_proba"):
        estimate_prior(X_u, X_a, classifier="boosting")
