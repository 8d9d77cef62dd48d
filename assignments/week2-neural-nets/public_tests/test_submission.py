"""Public tests of week 2: small fixed cases against PyTorch and autograd, and a sanity check of
your trained logistic regression on the training split. The hidden cases are larger and include
logits in the hundreds everywhere softmax is involved."""

import torch
import torch.nn.functional as F

LARGE_LOGITS = torch.tensor([[1000.0, 999.0, 990.0], [-5.0, 0.0, 5.0], [300.0, -300.0, 0.0]])


def test_sigmoid_and_its_gradient_match_torch(submission):
    x = torch.tensor([-100.0, -3.0, 0.0, 0.5, 4.0, 100.0])
    torch.testing.assert_close(submission.sigmoid(x), torch.sigmoid(x))
    torch.testing.assert_close(
        submission.sigmoid_grad(x), torch.sigmoid(x) * (1 - torch.sigmoid(x))
    )


def test_softmax_is_stable_for_large_logits(submission):
    result = submission.softmax(LARGE_LOGITS)
    assert torch.isfinite(result).all(), "softmax overflowed: subtract the row maximum first"
    torch.testing.assert_close(result, torch.softmax(LARGE_LOGITS, dim=-1))


def test_cross_entropy_and_its_gradient_match_autograd(submission):
    labels = torch.tensor([1, 2, 0])
    logits = LARGE_LOGITS.clone().requires_grad_()
    loss = F.cross_entropy(logits, labels)
    (grad,) = torch.autograd.grad(loss, logits)
    torch.testing.assert_close(submission.cross_entropy(LARGE_LOGITS, labels), loss.detach())
    torch.testing.assert_close(submission.cross_entropy_grad(LARGE_LOGITS, labels), grad)


def test_gradient_descent_step_moves_against_the_gradient(submission):
    torch.manual_seed(0)
    x, labels = torch.randn(6, 4), torch.tensor([0, 1, 2, 0, 1, 2])
    weight, bias = torch.randn(4, 3, requires_grad=True), torch.randn(3, requires_grad=True)
    grads = torch.autograd.grad(F.cross_entropy(x @ weight + bias, labels), (weight, bias))
    new_weight, new_bias = submission.gradient_descent_step(
        weight.detach(), bias.detach(), x, labels, 0.1
    )
    torch.testing.assert_close(new_weight, weight.detach() - 0.1 * grads[0])
    torch.testing.assert_close(new_bias, bias.detach() - 0.1 * grads[1])


def test_two_layer_network_forward_and_backward_match_autograd(submission):
    torch.manual_seed(1)
    x, labels = torch.randn(5, 4), torch.tensor([0, 2, 1, 2, 0])
    params = [torch.randn(4, 6), torch.randn(6), torch.randn(6, 3), torch.randn(3)]
    leaves = [p.clone().requires_grad_() for p in params]
    logits = torch.relu(x @ leaves[0] + leaves[1]) @ leaves[2] + leaves[3]
    loss = F.cross_entropy(logits, labels)
    grads = torch.autograd.grad(loss, leaves)
    torch.testing.assert_close(submission.two_layer_forward(x, *params), logits.detach())
    result = submission.two_layer_backward(x, *params, labels)
    assert len(result) == 5, "return (loss, grad_w1, grad_b1, grad_w2, grad_b2)"
    for mine, expected in zip(result, (loss.detach(), *grads)):
        torch.testing.assert_close(mine, expected, rtol=1e-4, atol=1e-5)


def test_logistic_regression_weights_load_and_fit_the_training_split(
    submission, submission_dir, training_split
):
    from safetensors.torch import load_file

    weights = submission_dir / "logreg.safetensors"
    assert weights.is_file(), "train it first: python train_logreg.py"
    model = submission.build_logreg()
    model.load_state_dict(load_file(str(weights)))
    images, labels = training_split
    with torch.no_grad():
        logits = model(torch.from_numpy(images).float()[:, None])
    assert logits.shape == (len(labels), 10)
    accuracy = (logits.argmax(dim=1) == torch.from_numpy(labels)).float().mean().item()
    assert accuracy > 0.9, f"training accuracy {accuracy:.3f}: the hidden split needs about 0.92"
