"""Public tests of week 1: small fixed cases against PyTorch's own operators.

The hidden tests draw many more cases (other shapes, float64 and uint8 inputs, a batch of one,
non-square images), so passing these is necessary, not sufficient.
"""

import torch
import torch.nn.functional as F

EPS = 1e-5


def test_normalize_per_channel_matches_batch_norm_statistics(submission):
    torch.manual_seed(0)
    images = torch.randn(4, 3, 5, 6) * 3 + torch.tensor([1.0, -2.0, 5.0])[None, :, None, None]
    expected = F.batch_norm(images, None, None, training=True, eps=EPS)
    torch.testing.assert_close(
        submission.normalize_per_channel(images), expected, rtol=1e-5, atol=1e-5
    )


def test_normalize_per_channel_accepts_uint8_pixels(submission):
    images = torch.randint(0, 256, (2, 3, 4, 4), dtype=torch.uint8)
    result = submission.normalize_per_channel(images)
    assert result.dtype == torch.float32
    expected = F.batch_norm(images.float(), None, None, training=True, eps=EPS)
    torch.testing.assert_close(result, expected, rtol=1e-5, atol=1e-5)


def test_one_hot_uses_num_classes_for_the_width(submission):
    labels = torch.tensor([0, 2, 1, 2])
    result = submission.one_hot(labels, 5)
    torch.testing.assert_close(result, F.one_hot(labels, 5).float())


def test_batched_matmul_broadcasts_batch_axes(submission):
    torch.manual_seed(1)
    for shape_a, shape_b in [
        ((4, 3, 5), (4, 5, 2)),
        ((4, 3, 5), (5, 2)),
        ((2, 1, 3, 4), (5, 4, 2)),
    ]:
        a, b = torch.randn(shape_a), torch.randn(shape_b)
        torch.testing.assert_close(
            submission.batched_matmul(a, b), torch.matmul(a, b), rtol=1e-4, atol=1e-4
        )


def test_im2col_matches_unfold(submission):
    torch.manual_seed(2)
    image = torch.randn(2, 6, 7)
    for kernel_h, kernel_w, stride, padding in [(3, 3, 1, 0), (2, 3, 2, 1)]:
        expected = F.unfold(image[None], (kernel_h, kernel_w), padding=padding, stride=stride)[0]
        torch.testing.assert_close(
            submission.im2col(image, kernel_h, kernel_w, stride, padding), expected
        )


def test_topk_accuracy_counts_labels_among_the_k_best(submission):
    logits = torch.tensor([[0.1, 0.9, 0.5], [0.8, 0.1, 0.3], [0.2, 0.3, 0.9]])
    labels = torch.tensor([2, 1, 2])
    torch.testing.assert_close(submission.topk_accuracy(logits, labels, 1), torch.tensor(1 / 3))
    torch.testing.assert_close(submission.topk_accuracy(logits, labels, 2), torch.tensor(2 / 3))
