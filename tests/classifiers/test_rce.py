"""RCEClassifier: the loss, learning, features, conv networks, seeds."""

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from pu_detect import attacks
from pu_detect.adversarial import ConfidenceDetector, KDensityDetector, NonMEDetector, RCEClassifier
from pu_detect.attacks.adapter import torch_classifier
from pu_detect.losses import ReverseCrossEntropyLoss, reverse_cross_entropy, reversed_softmax
from pu_detect.utils import validation as v

DETECTORS = (KDensityDetector, NonMEDetector, ConfidenceDetector)


def test_rce_loss_by_hand():
    # Z = (1, 2, 3), y = 2: log softmax = Z - logsumexp(Z) = (-2.4076, -1.4076, -0.4076);
    # RCE = -(1/2)(-2.4076 - 1.4076) = 1.9076. Uniform logits over 3 classes: log 3.
    logits = torch.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    values = reverse_cross_entropy(logits, torch.tensor([2, 0]))
    torch.testing.assert_close(values, torch.tensor([1.907606, 1.098612]), atol=1e-5, rtol=0)
    torch.testing.assert_close(ReverseCrossEntropyLoss()(logits, torch.tensor([2, 0])), values.mean())
    torch.testing.assert_close(reversed_softmax(logits)[0], torch.softmax(-logits[0], 0))
    with pytest.raises(ValueError, match="at least 2 classes; got 1"):
        reverse_cross_entropy(torch.zeros(2, 1), torch.tensor([0, 0]))


def test_rce_optimum_makes_non_true_probabilities_uniform():
    logits = torch.tensor([[0.3, -1.2, 2.0, 0.7]], requires_grad=True)
    optimizer = torch.optim.Adam([logits], lr=0.05)
    for _ in range(2000):
        optimizer.zero_grad()
        reverse_cross_entropy(logits, torch.tensor([1]), "mean").backward()
        optimizer.step()
    p = torch.softmax(logits.detach(), 1)[0]
    wrong = p[[0, 2, 3]]
    assert float(wrong.max() - wrong.min()) < 1e-3  # uniform over the wrong classes
    assert p[1] < 0.05 and int(reversed_softmax(logits.detach()).argmax()) == 1  # predicted by softmax(-Z)


def test_classifiers_learn_digits_and_expose_logits_features(fitted, digits):
    X, y = digits
    assert fitted.score(X[1300:], y[1300:]) > 0.85
    proba = fitted.predict_proba(X[1300:1310])
    sign = -1 if fitted.loss == "rce" else 1
    np.testing.assert_allclose(proba, torch.softmax(sign * torch.tensor(fitted.logits(X[1300:1310])), 1).numpy(),
                               atol=1e-10)
    assert fitted.features(X[:5]).shape == (5, 64)
    np.testing.assert_array_equal(fitted.predict(X[:50]), fitted.classes_[fitted.predict_proba(X[:50]).argmax(1)])


def test_conv_classifier_and_seed_reproducibility(digits):
    X, y = digits
    make = lambda: RCEClassifier(input_shape=(1, 8, 8), hidden_dims=(4, 16), epochs=2, random_state=3)
    a, b = make().fit(X[:300], y[:300]), make().fit(X[:300], y[:300])
    np.testing.assert_array_equal(a.logits(X[:20]), b.logits(X[:20]))
    assert a.features(X[:3]).shape == (3, 16)


def test_resnet_architecture_with_sgd_and_step_decay(digits):
    X, y = digits
    clf = RCEClassifier(architecture="resnet", units_per_stage=1, input_shape=(1, 8, 8), epochs=6,
                        optimizer="sgd", lr=0.1, weight_decay=2e-4, lr_milestones=(0.5, 0.75),
                        random_state=0).fit(X[:1000], y[:1000])
    assert clf.score(X[1000:], y[1000:]) > 0.8
    assert clf.features(X[:3]).shape == (3, 64)  # global-average-pooled widths[-1]
    again = RCEClassifier(**clf.get_params()).fit(X[:1000], y[:1000])
    np.testing.assert_array_equal(again.predict_proba(X[1000:1010]), clf.predict_proba(X[1000:1010]))
    with pytest.raises(ValueError, match="input_shape must be the .* for architecture='resnet'"):
        RCEClassifier(architecture="resnet").fit(X[:50], y[:50])
    with pytest.raises(ValueError, match="lr_milestones must be a real number in"):
        RCEClassifier(lr_milestones=(0.5, 1.5)).fit(X[:50], y[:50])
    with pytest.raises(ValueError, match="optimizer must be one of 'auto', 'adam', 'sgd'"):
        RCEClassifier(optimizer="rmsprop").fit(X[:50], y[:50])


def test_image_default_is_the_resnet_with_its_recipe_and_conv_keeps_0_1_0(digits):
    X, y = digits
    clf = RCEClassifier(input_shape=(1, 8, 8), epochs=1, random_state=0).fit(X[:200], y[:200])
    assert type(clf.module_).__name__ == "ResNetClassifier"
    assert clf._training_recipe(v.check_params(clf)) == ("sgd", 0.1, 2e-4, (0.5, 0.75))
    flat = RCEClassifier(epochs=1, random_state=0).fit(X[:200], y[:200])
    assert type(flat.module_).__name__ == "Classifier"
    assert flat._training_recipe(v.check_params(flat)) == ("adam", 1e-3, 0.0, None)
    conv = RCEClassifier(input_shape=(1, 8, 8), architecture="conv", hidden_dims=(4, 16), epochs=1).fit(X[:200], y[:200])
    assert type(conv.module_).__name__ == "Classifier" and conv.features(X[:2]).shape == (2, 16)
    with pytest.raises(ValueError, match="input_shape must be the .* for architecture='conv'"):
        RCEClassifier(architecture="conv").fit(X[:50], y[:50])


def test_a_0_1_0_conv_model_file_loads_as_the_conv_net(digits, tmp_path):
    import json
    import zipfile

    from pu_detect.persistence import load

    X, y = digits
    conv = RCEClassifier(input_shape=(1, 8, 8), architecture="conv", hidden_dims=(4, 16), epochs=1,
                         lr=1e-3, weight_decay=0.0, random_state=0).fit(X[:200], y[:200])
    path = tmp_path / "conv.pud"
    conv.save(path)
    with zipfile.ZipFile(path) as archive:  # what 0.1.0 wrote: format 1, no parameters it did not have
        meta, payload = json.loads(archive.read("meta.json")), archive.read("tensors.pt")
    meta["format_version"] = 1
    for name in ("architecture", "units_per_stage", "optimizer", "momentum", "lr_milestones", "flush_subnormals"):
        meta["params"].pop(name)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("meta.json", json.dumps(meta))
        archive.writestr("tensors.pt", payload)
    restored = load(path)
    assert restored.architecture == "conv" and restored.optimizer == "adam"
    np.testing.assert_array_equal(restored.predict_proba(X[:20]), conv.predict_proba(X[:20]))


def test_shift_augmentation_makes_the_classifier_robust_to_shifted_digits(digits):
    from pu_detect.engine import shift_images

    X, y = digits
    shifted = shift_images(torch.as_tensor(X[1000:]), (1, 8, 8), 0.25, torch.Generator().manual_seed(5)).numpy()
    settings = dict(loss="ce", input_shape=(1, 8, 8), architecture="conv", hidden_dims=(16, 32, 64), epochs=30,
                    lr=3e-3, random_state=0)
    plain = RCEClassifier(**settings).fit(X[:1000], y[:1000])
    augmented = RCEClassifier(shift_augmentation=0.25, **settings).fit(X[:1000], y[:1000])
    assert augmented.score(shifted, y[1000:]) > plain.score(shifted, y[1000:]) + 0.25  # measured 0.77 vs 0.33
    again = RCEClassifier(shift_augmentation=0.25, **settings).fit(X[:1000], y[:1000])
    np.testing.assert_array_equal(again.predict_proba(X[1000:1100]), augmented.predict_proba(X[1000:1100]))
    with pytest.raises(ValueError, match=r"input_shape must be the \(C, H, W\) shape of the images with "
                                         r"shift_augmentation=0.1; got None"):
        RCEClassifier(shift_augmentation=0.1, epochs=1).fit(X[:50], y[:50])
