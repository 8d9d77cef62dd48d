"""Public tests of week 3: convolution and pooling against torch.nn.functional and autograd on
small fixed cases, and a sanity check of your trained CNN on held-out training images. The hidden
cases add batches of one, non-square images and kernels, dilation and strides up to 3."""

import pytest
import torch
import torch.nn.functional as F

CONV_CONFIGS = [  # (x shape, weight shape, stride, padding, dilation)
    ((2, 3, 7, 7), (4, 3, 3, 3), 1, 1, 1),
    ((1, 2, 9, 8), (3, 2, 3, 2), 2, 0, 1),
    ((2, 1, 10, 10), (2, 1, 3, 3), 1, 2, 2),
]


@pytest.mark.parametrize("x_shape, w_shape, stride, padding, dilation", CONV_CONFIGS)
def test_conv2d_forward_and_backward_match_torch(
    submission, x_shape, w_shape, stride, padding, dilation
):
    torch.manual_seed(0)
    x, weight, bias = torch.randn(x_shape), torch.randn(w_shape), torch.randn(w_shape[0])
    leaves = [t.clone().requires_grad_() for t in (x, weight, bias)]
    out = F.conv2d(*leaves, stride=stride, padding=padding, dilation=dilation)
    torch.testing.assert_close(
        submission.conv2d(x, weight, bias, stride, padding, dilation),
        out.detach(),
        rtol=1e-4,
        atol=1e-4,
    )
    grad_out = torch.randn(out.shape)
    expected = torch.autograd.grad(out, leaves, grad_out)
    result = submission.conv2d_backward(x, weight, grad_out, stride, padding, dilation)
    assert len(result) == 3, "return (grad_x, grad_weight, grad_bias)"
    for name, mine, reference in zip(("grad_x", "grad_weight", "grad_bias"), result, expected):
        torch.testing.assert_close(
            mine, reference, rtol=1e-4, atol=1e-4, msg=lambda m, name=name: f"{name}: {m}"
        )


@pytest.mark.parametrize("kernel_size, stride", [(2, 2), (3, 2), (2, 1)])
def test_max_pool_forward_and_backward_match_torch(submission, kernel_size, stride):
    torch.manual_seed(1)
    x = torch.randn(2, 3, 8, 9)
    leaf = x.clone().requires_grad_()
    out = F.max_pool2d(leaf, kernel_size, stride)
    torch.testing.assert_close(submission.max_pool2d(x, kernel_size, stride), out.detach())
    grad_out = torch.randn(out.shape)
    (expected,) = torch.autograd.grad(out, leaf, grad_out)
    torch.testing.assert_close(
        submission.max_pool2d_backward(x, grad_out, kernel_size, stride), expected
    )


def test_cnn_loads_its_weights_and_classifies_held_out_images(
    submission, submission_dir, validation_images
):
    from safetensors.torch import load_file

    weights = submission_dir / "cnn.safetensors"
    assert weights.is_file(), "train it first: python train_cnn.py"
    model = submission.build_model()
    model.load_state_dict(load_file(str(weights)))
    model.eval()
    images, labels = validation_images
    with torch.no_grad():
        logits = model(images)
    assert logits.shape == (len(images), 10)
    accuracy = (logits.argmax(dim=1) == labels).float().mean().item()
    assert accuracy > 0.85, (
        f"accuracy {accuracy:.3f} on held-out images: speed only counts above 0.85"
    )
