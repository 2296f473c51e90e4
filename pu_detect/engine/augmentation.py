"""Data augmentation applied to training batches (``train``'s ``batch_transform``)."""

import torch
import torch.nn.functional as F

from ..utils import validation as v


def shift_images(x, image_shape, max_shift, generator):
    """Each image of ``x`` translated by a random whole number of pixels, edges replicated.

    The shift of each image along each axis is drawn uniformly from
    ``-m .. m`` pixels, ``m = round(max_shift * size)`` (Keras'
    ``width_shift_range`` / ``height_shift_range``, with ``fill_mode="nearest"``);
    the pixels shifted in repeat the nearest edge pixel.

    Parameters
    ----------
    x : torch.Tensor of shape (n, C * H * W), floating point
    image_shape : tuple (C, H, W)
    max_shift : float in [0, 0.5)
        The largest shift, as a fraction of the image's height and width.
    generator : torch.Generator
        The draws come from it, on the CPU.

    Returns
    -------
    torch.Tensor of the shape, dtype and device of ``x``

    Examples
    --------
    >>> import torch
    >>> x = torch.arange(9.0).reshape(1, 9)
    >>> out = shift_images(x, (1, 3, 3), 0.34, torch.Generator().manual_seed(0))
    >>> out.reshape(3, 3)  # one pixel down and one left: the top row and the right column repeated
    tensor([[1., 2., 2.],
            [1., 2., 2.],
            [4., 5., 5.]])
    """
    v.check_tensor(x, "x", dim=2)
    channels, height, width = v.check_image_shape(image_shape, x.shape[1])
    max_shift = v.check_float(max_shift, "max_shift", 0.0, 0.5, low_inclusive=True)
    v.check_generator(generator)
    m_h, m_w = round(max_shift * height), round(max_shift * width)
    if len(x) == 0 or m_h == m_w == 0:
        return x
    n, device = len(x), x.device
    dy = torch.randint(-m_h, m_h + 1, (n,), generator=generator).to(device)
    dx = torch.randint(-m_w, m_w + 1, (n,), generator=generator).to(device)
    padded = F.pad(x.reshape(n, channels, height, width), (m_w, m_w, m_h, m_h), mode="replicate")
    rows = torch.arange(height, device=device)[None, :] + m_h - dy[:, None]
    cols = torch.arange(width, device=device)[None, :] + m_w - dx[:, None]
    shifted = padded[torch.arange(n, device=device)[:, None, None, None],
                     torch.arange(channels, device=device)[None, :, None, None],
                     rows[:, None, :, None], cols[:, None, None, :]]
    return shifted.reshape(n, -1)
