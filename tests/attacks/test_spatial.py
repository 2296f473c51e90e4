"""stAdv: the flow transform and its smoothness loss by hand, targets reached, pixels moved rather than changed."""

import numpy as np
import pytest
import torch

from pu_detect import attacks


def test_zero_flow_is_the_identity_and_a_whole_pixel_flow_shifts():
    x = torch.arange(16.0).view(1, 1, 4, 4)
    torch.testing.assert_close(attacks.flow_transform(x, torch.zeros(1, 2, 4, 4)), x)
    down = torch.zeros(1, 2, 4, 4)
    down[:, 0] = 1.0  # sample one row below: the image moves up, the last row falls outside (zero)
    shifted = attacks.flow_transform(x, down)
    torch.testing.assert_close(shifted[0, 0, :3], x[0, 0, 1:])
    torch.testing.assert_close(shifted[0, 0, 3], torch.zeros(4))
    half = torch.zeros(1, 2, 4, 4)
    half[:, 1] = 0.5  # half a pixel right: the mean of neighbouring columns (bilinear)
    torch.testing.assert_close(attacks.flow_transform(x, half)[0, 0, :, :3], (x[0, 0, :, :3] + x[0, 0, :, 1:]) / 2)


def test_flow_loss_by_hand():
    assert attacks.flow_loss(torch.zeros(1, 2, 3, 3)).item() == pytest.approx(4 * 9 * 1e-4)
    flow = torch.zeros(1, 2, 3, 3)
    flow[0, 0, 1, 1] = 1.0  # the centre moves; its 4 diagonal neighbours each see a difference of 1, and it sees 4
    expected = 8 * np.sqrt(1 + 1e-8) + (36 - 8) * 1e-4
    assert attacks.flow_loss(flow).item() == pytest.approx(expected, rel=1e-6)


def test_stadv_reaches_its_targets(digits, undefended):
    X, y = digits
    clf = undefended
    X_test, y_test = X[1300:1360], y[1300:1360]
    targets = (y_test + 3) % 10
    X_adv = attacks.stadv(clf, X_test, y_test, targets=targets, input_shape=(1, 8, 8))
    assert (clf.predict(X_adv) == targets).mean() > 0.9  # measured: 1.0 at tau = 0.05
    assert X_adv.min() >= 0 and X_adv.max() <= 1
    with pytest.raises(ValueError, match="input_shape"):
        attacks.stadv(clf, X_test[:2], y_test[:2])  # the MLP has no input_shape
    with pytest.raises(ValueError, match="targets must be a class other than y"):
        attacks.stadv(clf, X_test[:2], y_test[:2], targets=y_test[:2], input_shape=(1, 8, 8))
    with pytest.raises(ValueError, match="tau must be a real number"):
        attacks.stadv(clf, X_test[:2], y_test[:2], input_shape=(1, 8, 8), tau=-1.0)
