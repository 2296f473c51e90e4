import torch
from torch import nn

from pu_detect.networks import ConvAutoencoder, MLPAutoencoder, build, init_parameters


def test_mlp_autoencoder_shapes_and_mirrored_layers():
    net = MLPAutoencoder(10, (16, 8), 3)
    widths = [m.out_features for m in net.modules() if isinstance(m, nn.Linear)]
    assert widths == [16, 8, 3, 8, 16, 10]
    assert net(torch.zeros(5, 10)).shape == (5, 10)
    # no activation on the bottleneck's output or the reconstruction
    assert not isinstance(net.encoder[-1], nn.ReLU) and not isinstance(net.decoder[-1], nn.ReLU)


def test_conv_autoencoder_handles_odd_sizes():
    net = ConvAutoencoder((3, 7, 5), (4, 6), 2)
    assert net(torch.zeros(2, 3 * 7 * 5)).shape == (2, 105)


def test_build_is_seeded_and_leaves_global_rng_alone():
    state = torch.get_rng_state()
    a = build(lambda: ConvAutoencoder((1, 8, 8), (4,), 2), torch.Generator().manual_seed(3))
    b = build(lambda: ConvAutoencoder((1, 8, 8), (4,), 2), torch.Generator().manual_seed(3))
    c = build(lambda: ConvAutoencoder((1, 8, 8), (4,), 2), torch.Generator().manual_seed(4))
    assert torch.equal(torch.get_rng_state(), state)
    for (name, pa), pb, pc in zip(a.named_parameters(), b.parameters(), c.parameters()):
        assert torch.equal(pa, pb), name
        assert not torch.equal(pa, pc), name


def test_init_matches_torch_default_ranges():
    layer = nn.Linear(50, 20)
    init_parameters(layer, torch.Generator().manual_seed(0))
    bound = 1 / 50**0.5
    assert layer.weight.abs().max() <= bound and layer.bias.abs().max() <= bound
    assert layer.weight.std() > bound / 3  # not all zeros
