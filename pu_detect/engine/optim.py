"""Optimisers of the training loop: Adam over one flat buffer, SGD with momentum, step decay."""

import functools

import torch


@functools.cache
def fused_adam_matches_reference():
    """Whether torch's private fused Adam kernel exists here and agrees with ``torch.optim.Adam``.

    ``FlatAdam`` calls ``torch._fused_adam_``, which is private: a torch
    release may drop or change it. This runs one step of it and of
    ``torch.optim.Adam`` on the same small vectors (with weight decay) and
    compares them; the answer is computed once per process.
    """
    kernel = getattr(torch, "_fused_adam_", None)
    if kernel is None:
        return False
    param = torch.tensor([1.0, -2.0, 0.5, 3.0])
    grad = torch.tensor([0.3, -0.1, 0.0, 2.0])
    options = dict(lr=0.01, weight_decay=0.1, eps=1e-8)
    fused = [param.clone(), torch.zeros(4), torch.zeros(4), torch.zeros((), dtype=torch.float32)]
    try:
        fused[3] += 1
        kernel([fused[0]], [grad.clone()], [fused[1]], [fused[2]], [], [fused[3]],
               beta1=0.9, beta2=0.999, amsgrad=False, maximize=False, **options)
    except (RuntimeError, TypeError, NotImplementedError, AttributeError):
        return False
    reference = param.clone().requires_grad_(True)
    reference.grad = grad.clone()
    torch.optim.Adam([reference], betas=(0.9, 0.999), foreach=False, **options).step()
    return bool(torch.allclose(fused[0], reference.detach(), rtol=1e-6, atol=1e-7))


class FlatAdam:
    """Adam (L2 weight decay added to the gradient, as ``torch.optim.Adam``) over one flat buffer.

    The parameters become views into one contiguous vector and their
    gradients views into another, so a step is one call of torch's fused
    Adam kernel (the one behind ``torch.optim.Adam(fused=True)``) on four
    vectors however many layers the network has, and zeroing the gradients
    is one operation. On the small networks of this library a step of
    ``torch.optim.Adam`` (even ``fused=True``) spent most of its time in
    per-call Python overhead (about 0.5 ms of a 1.3 ms training step
    measured with cProfile); this step took 17 us where the same update as
    eight separate tensor operations took 56 us (2,321 parameters, one
    thread). Where the private kernel is missing or disagrees with
    ``torch.optim.Adam`` (``fused_adam_matches_reference``), the step is
    ``torch.optim.Adam`` on the same flat buffer. ``release`` gives each
    parameter its own storage again.

    Parameters
    ----------
    parameters : iterable of torch.nn.Parameter
    lr : float
    weight_decay : float, default=0.0
    betas : tuple of float, default=(0.9, 0.999)
    eps : float, default=1e-8
    fused : bool or None, default=None
        ``None``: the fused kernel where it matches the reference; ``False``:
        always ``torch.optim.Adam``.

    Examples
    --------
    >>> import torch
    >>> net = torch.nn.Linear(3, 1)
    >>> optimizer = FlatAdam(net.parameters(), lr=0.1)
    >>> net(torch.ones(2, 3)).sum().backward()
    >>> optimizer.step(); optimizer.release()
    """

    def __init__(self, parameters, lr, weight_decay=0.0, betas=(0.9, 0.999), eps=1e-8, fused=None):
        self.parameters = list(parameters)
        self.lr, self.weight_decay, self.betas, self.eps = lr, weight_decay, betas, eps
        first = self.parameters[0]
        size = sum(p.numel() for p in self.parameters)
        self.flat = torch.empty(size, device=first.device, dtype=first.dtype)
        self.grad = torch.zeros_like(self.flat)
        offset = 0
        for p in self.parameters:
            view = slice(offset, offset + p.numel())
            self.flat[view].copy_(p.detach().reshape(-1))
            p.data = self.flat[view].view_as(p)
            # Backward adds into an existing gradient in place, so these stay views.
            p.grad = self.grad[view].view_as(p)
            offset += p.numel()
        self.fused = fused_adam_matches_reference() if fused is None else bool(fused)
        if self.fused:
            self.exp_avg = torch.zeros_like(self.flat)
            self.exp_avg_sq = torch.zeros_like(self.flat)
            # The fused kernel reads the step count from a float32 tensor on the parameters' device.
            self.steps = torch.zeros((), device=first.device, dtype=torch.float32)
        else:
            self.flat.grad = self.grad
            self._reference = torch.optim.Adam([self.flat], lr=lr, betas=betas, eps=eps,
                                               weight_decay=weight_decay, foreach=False)

    def set_lr(self, lr):
        """Change the step size (for a learning-rate schedule)."""
        self.lr = lr
        if not self.fused:
            self._reference.param_groups[0]["lr"] = lr

    def zero_grad(self):
        self.grad.zero_()

    @torch.no_grad()
    def step(self):
        if not self.fused:
            self._reference.step()
            return
        self.steps += 1
        beta1, beta2 = self.betas
        torch._fused_adam_(
            [self.flat], [self.grad], [self.exp_avg], [self.exp_avg_sq], [], [self.steps],
            lr=self.lr, beta1=beta1, beta2=beta2, weight_decay=self.weight_decay, eps=self.eps,
            amsgrad=False, maximize=False,
        )

    def release(self):
        """Give every parameter its own storage and drop the gradients."""
        for p in self.parameters:
            p.data = p.data.clone()
            p.grad = None


class SGD:
    """``torch.optim.SGD`` with momentum, behind the loop's optimiser interface.

    The optimiser of the adversarial-training papers (momentum 0.9, step
    decay of the learning rate).
    """

    def __init__(self, parameters, lr, weight_decay=0.0, momentum=0.9):
        self.parameters = list(parameters)
        self._sgd = torch.optim.SGD(self.parameters, lr=lr, momentum=momentum, weight_decay=weight_decay)

    def set_lr(self, lr):
        self._sgd.param_groups[0]["lr"] = lr

    def zero_grad(self):
        self._sgd.zero_grad(set_to_none=False)

    def step(self):
        self._sgd.step()

    def release(self):
        for p in self.parameters:
            p.grad = None


#: Optimisers the training loop knows, by name.
OPTIMIZERS = ("adam", "sgd")


def make_optimizer(name, parameters, *, lr, weight_decay, momentum=0.9):
    """The optimiser ``name`` (one of ``OPTIMIZERS``) over ``parameters``.

    Examples
    --------
    >>> import torch
    >>> type(make_optimizer("sgd", torch.nn.Linear(2, 1).parameters(), lr=0.1, weight_decay=0.0)).__name__
    'SGD'
    """
    if name == "adam":
        return FlatAdam(parameters, lr=lr, weight_decay=weight_decay)
    if name == "sgd":
        return SGD(parameters, lr=lr, weight_decay=weight_decay, momentum=momentum)
    raise ValueError(f"optimizer must be one of {', '.join(map(repr, OPTIMIZERS))}; got {name!r}.")


def step_decay(epochs, milestones=(0.5, 0.75), gamma=0.1):
    """A learning-rate schedule: the factor ``gamma ** k`` after the k-th milestone.

    ``milestones`` are fractions of ``epochs`` (the adversarial-training
    papers divide the rate by 10 at half and three quarters of training).

    Examples
    --------
    >>> schedule = step_decay(20)
    >>> [schedule(e) for e in (0, 9, 10, 15, 19)]
    [1.0, 1.0, 0.1, 0.010000000000000002, 0.010000000000000002]
    """
    bounds = [m * epochs for m in milestones]
    return lambda epoch: gamma ** sum(epoch >= b for b in bounds)
