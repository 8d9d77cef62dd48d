"""Week 3: convolution and pooling by hand, and a small CNN for Fashion-MNIST.

Fill in the four functions (tensor operations only; no torch.nn.functional.conv2d, max_pool2d,
unfold or autograd inside them), design your CNN in build_model(), train it with train_cnn.py,
run `pytest public_tests`, and upload a zip with submission.py and cnn.safetensors.
"""

import torch
from torch import nn


def conv2d(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor,
    stride: int,
    padding: int,
    dilation: int,
) -> torch.Tensor:
    """The forward pass of a 2-D convolution layer, exactly like torch.nn.functional.conv2d.

    x [N, C_in, H, W], weight [C_out, C_in, kernel_h, kernel_w], bias [C_out]. Zero-pad `padding`
    pixels on all four sides, take the kernel taps `dilation` pixels apart, move by `stride`.
    Deep learning "convolution" is a cross-correlation: do not flip the kernel.
    Returns [N, C_out, out_h, out_w], out_h = (H + 2*padding - dilation*(kernel_h - 1) - 1) // stride + 1.
    """
    raise NotImplementedError


def conv2d_backward(
    x: torch.Tensor,
    weight: torch.Tensor,
    grad_out: torch.Tensor,
    stride: int,
    padding: int,
    dilation: int,
):
    """Given grad_out = d loss / d conv2d(x, weight, bias, ...) of shape [N, C_out, out_h, out_w],
    return (grad_x, grad_weight, grad_bias) with the shapes of x, weight and bias."""
    raise NotImplementedError


def max_pool2d(x: torch.Tensor, kernel_size: int, stride: int) -> torch.Tensor:
    """Max pooling over kernel_size x kernel_size windows moved by stride, without padding
    (like torch.nn.functional.max_pool2d(x, kernel_size, stride)). x: [N, C, H, W]."""
    raise NotImplementedError


def max_pool2d_backward(
    x: torch.Tensor, grad_out: torch.Tensor, kernel_size: int, stride: int
) -> torch.Tensor:
    """d loss / d x given grad_out = d loss / d max_pool2d(x, kernel_size, stride). Each window
    sends its gradient to the pixel that won its maximum. Windows overlap when stride < kernel_size."""
    raise NotImplementedError


def build_model() -> nn.Module:
    """Your CNN. It receives float32 images [N, 1, 28, 28] with pixels in [0, 1] and returns
    logits [N, 10] in Fashion-MNIST's class order. The grader calls this with no arguments, then
    loads cnn.safetensors into the result."""
    raise NotImplementedError
