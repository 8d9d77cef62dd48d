"""Week 1: tensors. Fill in every function, run `pytest public_tests`, then upload this file.

All arguments are torch tensors (or Python ints); return torch tensors. Use tensor operations,
not Python loops over elements: the hidden cases include large batches.
"""

import torch

EPS = 1e-5


def normalize_per_channel(images: torch.Tensor) -> torch.Tensor:
    """Standardize a batch of images channel by channel.

    images: [N, C, H, W], float32, float64 or uint8 (0..255).
    For every channel c, compute the mean and the *biased* variance (divide by the count, like
    batch normalization) over the N, H and W axes, and return (images - mean_c) / sqrt(var_c + EPS).
    Returns the input's dtype for floating inputs and float32 for uint8 inputs.
    """
    raise NotImplementedError


def one_hot(labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """labels: int64 [N] with values in 0..num_classes-1. Returns float32 [N, num_classes]
    with a 1.0 at (i, labels[i]) and 0.0 elsewhere."""
    raise NotImplementedError


def batched_matmul(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Matrix product over the last two axes with broadcasting over the leading (batch) axes.

    a: [..., n, k], b: [..., k, m] -> [..., n, m], where the batch axes broadcast like NumPy's
    (e.g. [4, 3, 5] @ [5, 2] -> [4, 3, 2]; [2, 1, 3, 4] @ [5, 4, 2] -> [2, 5, 3, 2]).
    Do not call torch.matmul, @, torch.bmm or torch.einsum: use broadcasting and a sum.
    """
    raise NotImplementedError


def im2col(
    image: torch.Tensor, kernel_h: int, kernel_w: int, stride: int, padding: int
) -> torch.Tensor:
    """Unfold one image into the columns a convolution multiplies with its kernels.

    image: [C, H, W]. Zero-pad `padding` pixels on every side, slide a kernel_h x kernel_w window
    with step `stride` (row by row, left to right). Returns [C * kernel_h * kernel_w, L], where L
    is the number of window positions and column l holds window l flattened channel first, then
    kernel row, then kernel column (the layout of torch.nn.functional.unfold).
    """
    raise NotImplementedError


def topk_accuracy(logits: torch.Tensor, labels: torch.Tensor, k: int) -> torch.Tensor:
    """logits: [N, num_classes], labels: int64 [N]. The fraction of rows whose label is among the
    k largest logits, as a 0-d float32 tensor (e.g. tensor(0.75))."""
    raise NotImplementedError
