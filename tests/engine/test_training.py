import copy
import numpy as np
import pytest
import torch

from pu_detect import Autoencoder
from pu_detect.engine import optim
from pu_detect.engine.inference import predict_batched
from pu_detect.engine.optim import FlatAdam, step_decay
from pu_detect.engine.training import _CyclicBatches, flushing_subnormals, subnormals_as_zero, train


def test_epoch_covers_every_row_once_in_slices():
    data = torch.arange(10.0)
    batches = list(_CyclicBatches(data, 4, torch.Generator().manual_seed(0)).epoch())
    assert [len(b) for b in batches] == [4, 4, 2]
    assert sorted(torch.cat(batches).tolist()) == list(range(10))


def test_anomaly_cycle_sees_every_row_before_repeating():
    data = torch.arange(5.0)
    cycle = _CyclicBatches(data, 128, torch.Generator().manual_seed(0))
    first, second = cycle.next(), cycle.next()
    assert len(first) == 5 and sorted(first.tolist()) == list(range(5))
    assert sorted(second.tolist()) == list(range(5))
    assert len(_CyclicBatches(data[:0], 8, torch.Generator()).next()) == 0


def test_every_step_sees_labeled_anomalies():
    seen = []

    def objective(module, batch, generator):
        seen.append((len(batch["unlabeled"]), len(batch["anomalies"])))
        return module(batch["unlabeled"]).sum() * 0 + module.weight.sum() ** 2

    module = torch.nn.Linear(2, 1)
    train(module, objective, {"unlabeled": torch.zeros(100, 2), "anomalies": torch.ones(3, 2)}, epochs=2,
          batch_size=32, lr=1e-3, weight_decay=0.0, generator=torch.Generator().manual_seed(0))
    assert seen == [(32, 3), (32, 3), (32, 3), (4, 3)] * 2


def test_non_finite_loss_stops_with_advice():
    def objective(module, batch, generator):
        return module(batch["rows"]).sum() * float("nan")

    with pytest.raises(FloatingPointError, match="Scale the features .* lower lr"):
        train(torch.nn.Linear(2, 1), objective, {"rows": torch.zeros(8, 2)}, epochs=1,
              batch_size=4, lr=1e-3, weight_decay=0.0, generator=torch.Generator())


def test_huge_inputs_stop_with_advice_not_nan_scores():
    X = np.random.default_rng(0).normal(size=(64, 3)) * 1e19
    with pytest.raises(FloatingPointError, match="Scale the features"):
        Autoencoder(epochs=2, random_state=0).fit(X)


def test_predict_batched_independent_of_batch_size():
    X = np.random.default_rng(0).normal(size=(1000, 3)).astype(np.float32)
    net = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1)).double()
    whole = predict_batched(lambda b: net(b)[:, 0], X, dtype=torch.float64)
    small = predict_batched(lambda b: net(b)[:, 0], X, dtype=torch.float64, batch_size=7)
    np.testing.assert_allclose(whole, small, rtol=1e-12)
    assert whole.dtype == np.float64 and whole.shape == (1000,)


def test_trailing_single_row_joins_previous_batch():
    batches = list(_CyclicBatches(torch.arange(9.0), 4, torch.Generator()).epoch())
    assert [len(b) for b in batches] == [4, 5]
    assert [len(b) for b in _CyclicBatches(torch.arange(1.0), 4, torch.Generator()).epoch()] == [1]


@pytest.mark.parametrize("weight_decay", [0.0, 1e-2])
def test_flat_adam_matches_torch_adam(weight_decay):
    with torch.random.fork_rng():
        torch.manual_seed(0)
        reference = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.ReLU(), torch.nn.Linear(5, 2))
        x = torch.randn(16, 3)
    flat_net = copy.deepcopy(reference)
    adam = torch.optim.Adam(reference.parameters(), lr=0.01, weight_decay=weight_decay)
    flat = FlatAdam(list(flat_net.parameters()), lr=0.01, weight_decay=weight_decay)
    for _ in range(5):
        for net, optimizer in ((reference, adam), (flat_net, flat)):
            optimizer.zero_grad()
            net(x).square().mean().backward()
            optimizer.step()
    flat.release()
    for p, q in zip(reference.parameters(), flat_net.parameters()):
        assert torch.allclose(p, q, atol=1e-6)
        assert q.grad is None
    # released parameters no longer share one buffer
    pointers = {p.untyped_storage().data_ptr() for p in flat_net.parameters()}
    assert len(pointers) == len(list(flat_net.parameters()))


@pytest.fixture
def subnormal_mode():
    """Skip where the CPU cannot flush subnormals; put the thread's setting back afterwards."""
    before = flushing_subnormals()
    if not torch.set_flush_denormal(before):
        pytest.skip("this CPU has no flush-to-zero mode")
    yield
    torch.set_flush_denormal(before)


def test_flushing_subnormals_reads_the_setting(subnormal_mode):
    torch.set_flush_denormal(True)
    assert flushing_subnormals()
    assert (torch.tensor(2e-38) / 100).item() == 0.0
    torch.set_flush_denormal(False)
    assert not flushing_subnormals()
    assert (torch.tensor(2e-38) / 100).item() > 0.0


@pytest.mark.parametrize("before", [False, True])
def test_training_flushes_subnormals_and_restores_the_setting(subnormal_mode, before):
    torch.set_flush_denormal(before)
    seen = []
    module = torch.nn.Linear(2, 1)

    def objective(module, batch, generator):
        seen.append(flushing_subnormals())
        return module(batch["rows"]).square().mean()

    train(module, objective, {"rows": torch.ones(4, 2)}, epochs=1, batch_size=2, lr=0.1,
          weight_decay=0.0, generator=torch.Generator().manual_seed(0))
    assert seen == [True, True]
    assert flushing_subnormals() == before

    def failing(module, batch, generator):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        train(module, failing, {"rows": torch.ones(4, 2)}, epochs=1, batch_size=2,
              lr=0.1, weight_decay=0.0, generator=torch.Generator())
    assert flushing_subnormals() == before


@pytest.mark.parametrize("before", [False, True])
def test_flush_subnormals_false_leaves_the_setting_alone(subnormal_mode, before):
    torch.set_flush_denormal(before)
    seen = []

    def objective(module, batch, generator):
        seen.append(flushing_subnormals())
        return module(batch["rows"]).square().mean()

    train(torch.nn.Linear(2, 1), objective, {"rows": torch.ones(4, 2)}, epochs=1, batch_size=2, lr=0.1,
          weight_decay=0.0, generator=torch.Generator(), flush_subnormals=False)
    assert seen == [before, before]
    X = np.random.default_rng(0).normal(size=(40, 3))
    Autoencoder(epochs=1, flush_subnormals=False, random_state=0).fit(X)
    assert flushing_subnormals() == before


def test_subnormals_as_zero_nests(subnormal_mode):
    torch.set_flush_denormal(False)
    with subnormals_as_zero():
        with subnormals_as_zero():
            pass
        assert flushing_subnormals()
    assert not flushing_subnormals()


def test_the_fused_adam_probe_agrees_with_this_torch():
    assert optim.fused_adam_matches_reference() == hasattr(torch, "_fused_adam_")


@pytest.mark.parametrize("weight_decay", [0.0, 1e-2])
def test_flat_adam_fallback_matches_the_fused_step(weight_decay):
    with torch.random.fork_rng():
        torch.manual_seed(0)
        first = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.ReLU(), torch.nn.Linear(5, 2))
        x = torch.randn(16, 3)
    second = copy.deepcopy(first)
    fused = FlatAdam(list(first.parameters()), lr=0.01, weight_decay=weight_decay)
    fallback = FlatAdam(list(second.parameters()), lr=0.01, weight_decay=weight_decay, fused=False)
    assert fused.fused == hasattr(torch, "_fused_adam_") and not fallback.fused
    for _ in range(5):
        for net, optimizer in ((first, fused), (second, fallback)):
            optimizer.zero_grad()
            net(x).square().mean().backward()
            optimizer.step()
    for optimizer in (fused, fallback):
        optimizer.release()
    for p, q in zip(first.parameters(), second.parameters()):
        assert torch.allclose(p, q, atol=1e-6)


def test_training_falls_back_where_the_private_kernel_is_missing(monkeypatch):
    X = np.random.default_rng(0).normal(size=(60, 4))
    expected = Autoencoder(epochs=3, random_state=0).fit(X).decision_function(X)
    monkeypatch.delattr(torch, "_fused_adam_")
    optim.fused_adam_matches_reference.cache_clear()
    try:
        assert not optim.fused_adam_matches_reference()
        scores = Autoencoder(epochs=3, random_state=0).fit(X).decision_function(X)
    finally:
        optim.fused_adam_matches_reference.cache_clear()
    np.testing.assert_allclose(scores, expected, rtol=1e-4)


def test_named_streams_batch_transform_callbacks_and_generator():
    calls = {"transform": 0, "generator": []}
    generator = torch.Generator().manual_seed(0)

    def objective(module, batch, gen):
        calls["generator"].append(gen)
        x, t = batch["data"]
        return (module(x)[:, 0] - t).square().mean() + 0 * module(batch["extra"]).sum()

    def transform(module, batch, gen):
        calls["transform"] += 1
        x, t = batch["data"]
        return {**batch, "data": (x + 1.0, t)}

    def stop_after_two(epoch, history, module):
        return epoch == 1

    history = train(torch.nn.Linear(2, 1), objective,
                    {"data": (torch.zeros(10, 2), torch.ones(10)), "extra": torch.zeros(3, 2)},
                    epochs=5, batch_size=5, lr=0.1, weight_decay=0.0, generator=generator,
                    batch_transform=transform, callbacks=[stop_after_two])
    assert len(history["loss"]) == 2 and calls["transform"] == 4
    assert all(g is generator for g in calls["generator"])


def test_sgd_with_step_decay_trains():
    seen = []

    def objective(module, batch, generator):
        return (module(batch["rows"]) - 1).square().mean()

    def record(epoch, history, module):
        seen.append(history["loss"][-1])

    module = torch.nn.Linear(2, 1)
    train(module, objective, {"rows": torch.ones(8, 2)}, epochs=6, batch_size=4, lr=0.05, weight_decay=0.0,
          generator=torch.Generator(), optimizer="sgd", lr_schedule=step_decay(6), callbacks=[record])
    assert seen[-1] < seen[0]
    assert [step_decay(6)(e) for e in range(6)] == [1.0, 1.0, 1.0, 0.1, 0.1, 0.010000000000000002]
    with pytest.raises(ValueError, match="optimizer must be one of 'adam', 'sgd'"):
        train(module, objective, {"rows": torch.ones(8, 2)}, epochs=1, batch_size=4, lr=0.05,
              weight_decay=0.0, generator=torch.Generator(), optimizer="lbfgs")


def test_verbose_leaves_a_one_line_summary(capsys):
    X = np.random.default_rng(0).normal(size=(40, 3))
    Autoencoder(epochs=2, verbose=1, random_state=0).fit(X)
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("Autoencoder training: 2 epochs, loss ") and err.endswith(" s")
    Autoencoder(epochs=2, verbose=0, random_state=0).fit(X)
    assert capsys.readouterr().err == ""
    with pytest.raises(ValueError, match="verbose must be an integer >= 0"):
        Autoencoder(verbose=-1).fit(X)


def _shifted_by_hand(image, dy, dx):
    """``image`` (H, W) moved dy rows down and dx columns right, edge pixels repeated."""
    height, width = image.shape
    rows = np.clip(np.arange(height) - dy, 0, height - 1)
    cols = np.clip(np.arange(width) - dx, 0, width - 1)
    return image[np.ix_(rows, cols)]


def test_shift_images_moves_whole_images_and_repeats_the_edges():
    from pu_detect.engine import shift_images

    x = torch.randperm(2 * 16 * 40, generator=torch.Generator().manual_seed(0)).float().reshape(40, 32)
    out = shift_images(x, (2, 4, 4), 0.25, torch.Generator().manual_seed(1))  # up to one pixel either way
    seen = set()
    for row, original in zip(out.numpy(), x.numpy()):
        images, source = row.reshape(2, 4, 4), original.reshape(2, 4, 4)
        matches = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)
                   if all(np.array_equal(images[c], _shifted_by_hand(source[c], dy, dx)) for c in range(2))]
        assert len(matches) == 1  # one shift, the same for both channels
        seen.add(matches[0])
    assert len(seen) == 9  # every shift in -1..1 x -1..1 drawn over 40 images
    np.testing.assert_array_equal(out, shift_images(x, (2, 4, 4), 0.25, torch.Generator().manual_seed(1)))
    assert shift_images(x, (2, 4, 4), 0.0, torch.Generator()) is x


def test_shift_images_names_a_wrong_argument():
    from pu_detect.engine import shift_images

    x, generator = torch.zeros(2, 16), torch.Generator()
    with pytest.raises(ValueError, match=r"image_shape must be a \(C, H, W\) shape of x's 16 features"):
        shift_images(x, (1, 3, 3), 0.1, generator)
    with pytest.raises(ValueError, match=r"max_shift must be a real number in \[0.0, 0.5\)"):
        shift_images(x, (1, 4, 4), 0.5, generator)
    with pytest.raises(TypeError, match="generator must be a torch.Generator"):
        shift_images(x, (1, 4, 4), 0.1, None)
