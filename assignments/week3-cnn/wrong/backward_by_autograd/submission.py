"""Wrong on purpose: both backward passes are autograd's, not written by hand."""

import torch
import torch.nn.functional as F
from torch import nn


def _windows(
    x: torch.Tensor, kernel_h: int, kernel_w: int, stride: int, dilation: int
) -> torch.Tensor:
    """[N, C, H, W] -> [N, C, out_h, out_w, kernel_h, kernel_w] (a view, no copy)."""
    span_h, span_w = dilation * (kernel_h - 1) + 1, dilation * (kernel_w - 1) + 1
    windows = x.unfold(2, span_h, stride).unfold(3, span_w, stride)
    return windows[..., ::dilation, ::dilation]


def conv2d(x, weight, bias, stride, padding, dilation):
    kernel_h, kernel_w = weight.shape[2:]
    padded = F.pad(x, (padding, padding, padding, padding))
    windows = _windows(padded, kernel_h, kernel_w, stride, dilation)
    # Cross-correlation, as in every deep learning library: the kernel is not flipped.
    return torch.einsum("nchwij,ocij->nohw", windows, weight) + bias[None, :, None, None]


def conv2d_backward(x, weight, grad_out, stride, padding, dilation):
    # Autograd differentiates the by-hand forward: not a backward written by hand.
    x, weight = x.detach().requires_grad_(True), weight.detach().requires_grad_(True)
    bias = torch.zeros(weight.shape[0], dtype=x.dtype, requires_grad=True)
    out = conv2d(x, weight, bias, stride, padding, dilation)
    out.backward(grad_out)
    return x.grad, weight.grad, bias.grad


def max_pool2d(x, kernel_size, stride):
    windows = x.unfold(2, kernel_size, stride).unfold(3, kernel_size, stride)
    return windows.flatten(-2).max(dim=-1).values


def max_pool2d_backward(x, grad_out, kernel_size, stride):
    x = x.detach().requires_grad_(True)
    (grad_x,) = torch.autograd.grad(max_pool2d(x, kernel_size, stride), x, grad_out)
    return grad_x


class SmallCNN(nn.Module):
    """Two conv-ReLU-pool stages and a linear classifier: about 25k parameters."""

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Linear(32 * 7 * 7, num_classes)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(images).flatten(1))


def build_model() -> nn.Module:
    return SmallCNN()
