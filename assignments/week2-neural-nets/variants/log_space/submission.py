"""Week 2, correct in another style than the reference (full marks): the sigmoid through tanh,
softmax and cross-entropy in log space (logsumexp), the gradient with a scattered one-hot."""

import torch
from torch import nn


def sigmoid(x: torch.Tensor) -> torch.Tensor:
    return 0.5 * (1 + torch.tanh(x / 2))  # tanh saturates: finite in both tails


def sigmoid_grad(x: torch.Tensor) -> torch.Tensor:
    s = sigmoid(x)
    return s - s * s


def softmax(logits: torch.Tensor) -> torch.Tensor:
    return torch.exp(logits - torch.logsumexp(logits, dim=-1, keepdim=True))


def cross_entropy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    picked = logits.gather(1, labels[:, None])[:, 0]
    return (torch.logsumexp(logits, dim=1) - picked).mean()


def cross_entropy_grad(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    target = torch.zeros_like(logits).scatter_(1, labels[:, None], 1.0)
    return (softmax(logits) - target) / logits.shape[0]


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
