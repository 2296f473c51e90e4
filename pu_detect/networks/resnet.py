"""A pre-activation residual network over flat rows that are images (He et al., 2016).

The network of Pang et al.'s RCE experiments: a 3x3 convolution, three
stages of pre-activation residual units (BatchNorm with epsilon 1e-3, leaky
ReLU of slope 0.1, two 3x3 convolutions; the second and third stages halve
the resolution), a last BatchNorm and leaky ReLU, and global average pooling
to the penultimate features; a linear head gives the logits. With 5 units
per stage and widths 16/32/64 it is their ResNet-32 (64-d features).
"""

from torch import nn

from ..utils.validation import check_int_tuple
from .layers import check_sizes

#: The residual networks' activation and BatchNorm epsilon, as in Pang et al.'s code.
LEAKY_SLOPE, BN_EPS = 0.1, 1e-3


class PreActivationUnit(nn.Module):
    """``x + conv(act(bn(conv(act(bn(x))))))``; a 1x1 convolution projects the shortcut when the shape changes."""

    def __init__(self, c_in, c_out, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(c_in, eps=BN_EPS)
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out, eps=BN_EPS)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
        self.activation = nn.LeakyReLU(LEAKY_SLOPE)
        self.project = None if stride == 1 and c_in == c_out else nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False)

    def forward(self, x):
        out = self.activation(self.bn1(x))
        shortcut = x if self.project is None else self.project(out)
        out = self.conv2(self.activation(self.bn2(self.conv1(out))))
        return out + shortcut


class ResNetClassifier(nn.Module):
    """Residual classifier over flat rows viewed as ``input_shape``; ``head(features(x))`` = logits.

    Parameters
    ----------
    input_shape : tuple (C, H, W)
    n_classes : int
    widths : tuple of int, default=(16, 32, 64)
        Channels of the three stages (the stem has ``widths[0]``).
    units_per_stage : int, default=5
        Residual units per stage: 5 gives ResNet-32, 1 ResNet-8.

    Examples
    --------
    >>> import torch
    >>> net = ResNetClassifier((1, 28, 28), 10, units_per_stage=1)
    >>> net(torch.zeros(2, 784)).shape, net.features(torch.zeros(2, 784)).shape
    (torch.Size([2, 10]), torch.Size([2, 64]))
    """

    def __init__(self, input_shape, n_classes, widths=(16, 32, 64), units_per_stage=5):
        super().__init__()
        input_shape = check_int_tuple(input_shape, "input_shape", length=3)  # required here, not optional
        n_classes, widths, units_per_stage = check_sizes(n_classes=n_classes, widths=widths,
                                                         units_per_stage=units_per_stage)
        channels = input_shape[0]
        layers = [nn.Unflatten(1, tuple(input_shape)), nn.Conv2d(channels, widths[0], 3, padding=1, bias=False)]
        c_in = widths[0]
        for stage, width in enumerate(widths):
            for unit in range(units_per_stage):
                layers.append(PreActivationUnit(c_in, width, 2 if stage > 0 and unit == 0 else 1))
                c_in = width
        layers += [nn.BatchNorm2d(c_in, eps=BN_EPS), nn.LeakyReLU(LEAKY_SLOPE), nn.AdaptiveAvgPool2d(1), nn.Flatten()]
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(c_in, n_classes)

    def forward(self, x):
        return self.head(self.features(x))
