"""Week 2 mistake: softmax normalises over the batch (dim 0) instead of each row's classes, so every
column sums to 1 instead of every row; the gradients built on it go wrong with it."""

import torch
from torch import nn


def sigmoid(x: torch.Tensor) -> torch.Tensor:
    # exp of a negative number only: no overflow in either tail.
    z = torch.exp(-x.abs())
    return torch.where(x >= 0, 1 / (1 + z), z / (1 + z))


def sigmoid_grad(x: torch.Tensor) -> torch.Tensor:
    s = sigmoid(x)
    return s * (1 - s)


def softmax(logits: torch.Tensor) -> torch.Tensor:
    shifted = logits - logits.max(dim=0, keepdim=True).values
    exp = torch.exp(shifted)
    return exp / exp.sum(dim=0, keepdim=True)


def log_softmax(logits: torch.Tensor) -> torch.Tensor:
    shifted = logits - logits.max(dim=-1, keepdim=True).values
    return shifted - torch.log(torch.exp(shifted).sum(dim=-1, keepdim=True))


def cross_entropy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    picked = log_softmax(logits)[torch.arange(len(labels)), labels]
    return -picked.mean()


def cross_entropy_grad(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    grad = softmax(logits)
    grad[torch.arange(len(labels)), labels] -= 1
    return grad / len(labels)


def gradient_descent_step(weight, bias, x, labels, lr):
    logits = x @ weight + bias
    grad_logits = cross_entropy_grad(logits, labels)
    return weight - lr * (x.T @ grad_logits), bias - lr * grad_logits.sum(dim=0)


def two_layer_forward(x, w1, b1, w2, b2):
    return torch.relu(x @ w1 + b1) @ w2 + b2


def two_layer_backward(x, w1, b1, w2, b2, labels):
    pre = x @ w1 + b1
    hidden = torch.relu(pre)
    logits = hidden @ w2 + b2
    grad_logits = cross_entropy_grad(logits, labels)
    grad_hidden = grad_logits @ w2.T
    grad_pre = grad_hidden * (pre > 0)
    return (
        cross_entropy(logits, labels),
        x.T @ grad_pre,
        grad_pre.sum(dim=0),
        hidden.T @ grad_logits,
        grad_logits.sum(dim=0),
    )


class LogisticRegression(nn.Module):
    """Softmax regression on the 64 pixels, scaled from 0..16 to 0..1."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(64, 10)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.linear(images.flatten(1) / 16.0)


def build_logreg() -> nn.Module:
    return LogisticRegression()
