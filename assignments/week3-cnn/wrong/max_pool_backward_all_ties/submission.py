"""Week 3 mistake: max pooling backward sends the gradient to every tied maximum of a window (PyTorch: the first one)."""

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
    kernel_h, kernel_w = weight.shape[2:]
    padded = F.pad(x, (padding, padding, padding, padding))
    windows = _windows(padded, kernel_h, kernel_w, stride, dilation)
    grad_weight = torch.einsum("nchwij,nohw->ocij", windows, grad_out)
    grad_bias = grad_out.sum(dim=(0, 2, 3))
    # Every window position sends grad_out * weight back to the pixels it read.
    grad_windows = torch.einsum("nohw,ocij->nchwij", grad_out, weight)
    grad_padded = torch.zeros_like(padded)
    out_h, out_w = grad_out.shape[2:]
    for i in range(kernel_h):
        for j in range(kernel_w):
            rows = slice(i * dilation, i * dilation + stride * (out_h - 1) + 1, stride)
            cols = slice(j * dilation, j * dilation + stride * (out_w - 1) + 1, stride)
            grad_padded[:, :, rows, cols] += grad_windows[..., i, j]
    height, width = x.shape[2:]
    grad_x = grad_padded[:, :, padding : padding + height, padding : padding + width]
    return grad_x, grad_weight, grad_bias


def max_pool2d(x, kernel_size, stride):
    windows = x.unfold(2, kernel_size, stride).unfold(3, kernel_size, stride)
    return windows.flatten(-2).max(dim=-1).values


def max_pool2d_backward(x, grad_out, kernel_size, stride):
    n, c, out_h, out_w = grad_out.shape
    grad_x = torch.zeros_like(x)
    for i in range(out_h):
        for j in range(out_w):
            rows = slice(i * stride, i * stride + kernel_size)
            cols = slice(j * stride, j * stride + kernel_size)
            window = x[:, :, rows, cols]
            # Every pixel equal to the maximum gets the gradient: with ties, several do.
            mask = window == window.amax(dim=(2, 3), keepdim=True)
            grad_x[:, :, rows, cols] += mask * grad_out[:, :, i, j][:, :, None, None]
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
