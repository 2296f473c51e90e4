"""Checks every attack must pass: its bound, the input range, success, seeds, tensor and NumPy agree."""

import numpy as np
import pytest
import torch

from pu_detect import KDensityDetector, attacks
from pu_detect.attacks._core import Target

EPS = 0.2
#: name -> (keyword arguments, norm bound kind, whether it takes y). Every public NumPy-facing attack.
SPECS = {
    "fgsm": (dict(eps=EPS), "linf", True),
    "bim": (dict(eps=EPS, steps=5), "linf", True),
    "ilcm": (dict(eps=0.3, steps=10), "linf", False),
    "pgd": (dict(eps=EPS, steps=10, random_state=0), "linf", True),
    "mim": (dict(eps=EPS, steps=5), "linf", True),
    "carlini_wagner": (dict(binary_search_steps=3, max_iter=40), None, True),
    "elastic_net": (dict(binary_search_steps=3, max_iter=40), None, True),
    "high_confidence_cw": (dict(initial_const=10.0, binary_search_steps=3, max_iter=100, lr=0.1), None, True),
    "jsma": (dict(gamma=0.2, random_state=0), "l0", True),
    "kdensity_cw": (dict(binary_search_steps=3, max_iter=40), None, True),
    "apgd": (dict(eps=EPS, steps=20, random_state=0), "linf", True),
    "autoattack": (dict(eps=EPS, input_shape=(1, 8, 8)), "linf", True),
    "stadv": (dict(input_shape=(1, 8, 8), random_state=0), None, True),
    "hop_skip_jump": (dict(steps=10, random_state=0), None, True),
    "square": (dict(eps=EPS, n_queries=300, input_shape=(1, 8, 8), random_state=0), "linf", True),
}
TENSOR_CORES = {"signed_gradient_steps", "projected_gradient_steps", "pgd_tensor", "apgd_tensor",
                "carlini_wagner_tensor", "elastic_net_tensor", "dlr_loss", "stadv_tensor", "flow_loss", "flow_transform",
                "square_tensor", "hop_skip_jump_tensor"}


@pytest.fixture(scope="module")
def rows(digits, undefended):
    X, y = digits
    X, y = X[1300:1360], y[1300:1360]
    keep = undefended.predict(X) == y
    return X[keep][:40], y[keep][:40]


def run(name, model, X, y, **changes):
    options, _, takes_y = SPECS[name]
    options = {**options, **changes}
    if name == "autoattack":
        pytest.importorskip("pyautoattack")
    if name == "kdensity_cw":
        detector = KDensityDetector(model).fit(*_training_rows(model))
        return attacks.kdensity_cw(model, detector, X, y, **options)
    function = getattr(attacks, name)
    return function(model, X, y, **options) if takes_y else function(model, X, **options)


def _training_rows(model):
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return (X[:1300] / 16).astype(np.float32), y[:1300]


#: Attacks with another interface, each tested in its own module: natural_adversarial needs a
#: generator and an inverter and returns latent distances too (tests/attacks/test_natural.py).
OWN_INTERFACE = {"natural_adversarial"}


def test_every_public_attack_has_a_spec():
    public = set(attacks.__all__) - TENSOR_CORES - OWN_INTERFACE
    assert public == set(SPECS), "add the new attack to SPECS"


@pytest.mark.parametrize("name", sorted(SPECS))
def test_bound_range_and_success(name, undefended, rows):
    X, y = rows
    X_adv = run(name, undefended, X, y)
    assert X_adv.shape == X.shape and X_adv.dtype == np.float32
    assert X_adv.min() >= 0.0 and X_adv.max() <= 1.0
    options, norm, _ = SPECS[name]
    if norm == "linf":
        assert np.abs(X_adv - X).max() <= options["eps"] + 1e-6
    elif norm == "l0":
        assert ((X_adv != X).sum(axis=1) <= int(0.2 * X.shape[1])).all()
    success = (undefended.predict(X_adv) != y).mean()
    assert success > 0.5, f"{name} fooled only {success:.0%} of an undefended classifier"


@pytest.mark.parametrize("name", sorted(SPECS))
def test_same_seed_same_output(name, undefended, rows):
    X, y = rows
    np.testing.assert_array_equal(run(name, undefended, X[:10], y[:10]), run(name, undefended, X[:10], y[:10]))


def test_pgd_seed_changes_the_start(undefended, rows):
    X, y = rows
    first = run("pgd", undefended, X[:10], y[:10], steps=1)
    other = run("pgd", undefended, X[:10], y[:10], steps=1, random_state=1)
    assert not np.array_equal(first, other)


def test_numpy_and_tensor_entry_points_agree(undefended, rows):
    X, y = rows
    target = Target(undefended)
    x, labels = torch.as_tensor(X), target.class_index(y, len(X))
    clip = (0.0, 1.0)
    cores = {
        "fgsm": lambda: attacks.signed_gradient_steps(target.logits, x, labels, eps=EPS, steps=1,
                                                      step_size=EPS, clip=clip),
        "bim": lambda: attacks.signed_gradient_steps(target.logits, x, labels, eps=EPS, steps=5,
                                                     step_size=EPS / 5, clip=clip),
        "pgd": lambda: attacks.pgd_tensor(target.logits, x, labels, eps=EPS, steps=10, step_size=2.5 * EPS / 10,
                                          clip=clip, generator=torch.Generator().manual_seed(0)),
        "carlini_wagner": lambda: attacks.carlini_wagner_tensor(
            target.logits, x, labels, kappa=0.0, initial_const=1.0, binary_search_steps=3, max_iter=40,
            lr=0.05, clip=clip),
    }
    for name, core in cores.items():
        np.testing.assert_allclose(core().numpy(), run(name, undefended, X, y), atol=1e-6, err_msg=name)


@pytest.mark.parametrize("name", ["fgsm", "bim", "pgd", "ilcm"])
def test_bad_step_parameters_are_named(name, undefended, rows):
    X, y = rows
    with pytest.raises(ValueError, match="eps must be a real number"):
        run(name, undefended, X[:2], y[:2], eps=float("nan"))
    if name != "fgsm":
        with pytest.raises(ValueError, match="step_size must be a real number"):
            run(name, undefended, X[:2], y[:2], step_size=-0.1)
        with pytest.raises(ValueError, match="steps must be an integer >= 1"):
            run(name, undefended, X[:2], y[:2], steps=0)
    with pytest.raises(ValueError, match="clip must be a pair of"):
        run(name, undefended, X[:2], y[:2], clip=(1.0, 0.0))
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1"):
        run(name, undefended, X[:2], y[:2], batch_size=0)


@pytest.mark.parametrize("name", sorted(set(SPECS) - {"kdensity_cw"}))
def test_a_model_that_is_no_classifier_is_named(name, rows):
    X, y = rows
    with pytest.raises(ValueError, match="^model must be a fitted pu_detect classifier"):
        run(name, "not a model", X[:2], y[:2])


def test_attacks_take_a_plain_torch_module(digits, undefended):
    X, y = digits
    plain = torch.nn.Sequential(undefended.module_.features, undefended.module_.head)
    assert not hasattr(plain, "features")
    X_adv = attacks.fgsm(plain, X[1300:1320], y[1300:1320], eps=EPS)
    np.testing.assert_allclose(X_adv, attacks.fgsm(undefended, X[1300:1320], y[1300:1320], eps=EPS), atol=1e-6)


def test_a_module_without_parameters_runs_on_the_cpu():
    """``torch.nn.Identity`` reads the rows as logits: FGSM steps against the true class's cross-entropy,
    whose gradient ``softmax - onehot`` has signs (-, +, +) here."""
    X_adv = attacks.fgsm(torch.nn.Identity(), np.array([[0.9, 0.1, 0.0]]), [0], eps=0.5)
    np.testing.assert_allclose(X_adv, [[0.4, 0.6, 0.5]])
