"""Week 1, correct in another style than the reference: every function must keep full marks.

var_mean over a transposed view for the statistics, scatter into zeros for the one-hot (then
float32), einsum-free broadcasting with indexing, F.unfold for the columns, a count of strictly
larger logits for top-k (no sort)."""

import torch
import torch.nn.functional as F


def normalize_per_channel(images: torch.Tensor) -> torch.Tensor:
    x = images.to(torch.float32) if images.dtype == torch.uint8 else images
    channels = x.shape[1]
    var, mean = torch.var_mean(x.transpose(0, 1).reshape(channels, -1), dim=1, correction=0)
    shape = (1, channels, 1, 1)
    return (x - mean.view(shape)) * torch.rsqrt(var.view(shape) + 1e-5)


def one_hot(labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    out = torch.zeros(labels.shape[0], num_classes, dtype=torch.float32)
    return out.scatter_(1, labels.view(-1, 1), 1.0)


def batched_matmul(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return (a[..., :, :, None] * b[..., None, :, :]).sum(-2)


def im2col(image, kernel_h, kernel_w, stride, padding):
    return F.unfold(image[None], (kernel_h, kernel_w), padding=padding, stride=stride)[0]


def topk_accuracy(logits: torch.Tensor, labels: torch.Tensor, k: int) -> torch.Tensor:
    own = logits.gather(1, labels.view(-1, 1))
    return ((logits > own).sum(dim=1) < k).to(torch.float32).mean()
