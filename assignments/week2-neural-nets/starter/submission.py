"""Week 2: from logistic regression to neural networks.

Fill in every function, train your logistic regression with `train_logreg.py`, run
`pytest public_tests`, then upload a zip holding `submission.py` and `logreg.safetensors`.
Write everything with tensor operations; do not call torch.softmax, torch.sigmoid,
torch.nn.functional.cross_entropy or autograd (`.backward()`, `torch.autograd`): the point is
to derive them yourself.
"""

import torch
from torch import nn


def sigmoid(x: torch.Tensor) -> torch.Tensor:
    """1 / (1 + exp(-x)), elementwise, finite for any float32 input (think of x = -100)."""
    raise NotImplementedError


def sigmoid_grad(x: torch.Tensor) -> torch.Tensor:
    """The derivative of sigmoid at x, elementwise."""
    raise NotImplementedError


def softmax(logits: torch.Tensor) -> torch.Tensor:
    """Softmax over the last axis. Must stay exact for logits in the hundreds: subtract each
    row's maximum before exponentiating (it cancels out in the ratio)."""
    raise NotImplementedError


def cross_entropy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of softmax(logits) [N, K] against int64 labels [N], as a 0-d tensor.
    Compute log-softmax directly (log-sum-exp with the max shift), never log(softmax(...))."""
    raise NotImplementedError


def cross_entropy_grad(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """The gradient of cross_entropy(logits, labels) with respect to logits: [N, K]."""
    raise NotImplementedError


def gradient_descent_step(
    weight: torch.Tensor, bias: torch.Tensor, x: torch.Tensor, labels: torch.Tensor, lr: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """One step of gradient descent for softmax regression.

    logits = x @ weight + bias with x [N, D], weight [D, K], bias [K]. Returns the new
    (weight, bias) after one step of size lr on cross_entropy(logits, labels).
    """
    raise NotImplementedError


def two_layer_forward(
    x: torch.Tensor, w1: torch.Tensor, b1: torch.Tensor, w2: torch.Tensor, b2: torch.Tensor
) -> torch.Tensor:
    """logits = relu(x @ w1 + b1) @ w2 + b2, with x [N, D], w1 [D, H], b1 [H], w2 [H, K], b2 [K]."""
    raise NotImplementedError


def two_layer_backward(x, w1, b1, w2, b2, labels):
    """Forward pass, loss and backward pass by hand (no autograd).

    Returns (loss, grad_w1, grad_b1, grad_w2, grad_b2) where loss is
    cross_entropy(two_layer_forward(x, w1, b1, w2, b2), labels) and every gradient has the shape
    of its parameter. The grader compares them with PyTorch's autograd.
    """
    raise NotImplementedError


class LogisticRegression(nn.Module):
    """Softmax regression on the 64 pixels of an 8x8 digit.

    The model receives float32 images [N, 1, 8, 8] with the raw pixel values 0..16 (as in
    digits_train.npz) and returns logits [N, 10]. Scale the pixels inside forward().
    """

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(64, 10)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


def build_logreg() -> nn.Module:
    """Called by the grader, which then loads logreg.safetensors into the returned model."""
    return LogisticRegression()
