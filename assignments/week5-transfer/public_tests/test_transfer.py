"""Public checks of week 5: interfaces, weights, output formats, and eval-mode behaviour.

They need ``train_digits.npz`` and ``canvases.py`` from the starter next to your submission
(or the starter folder next to public_tests). Run from your working folder: ``pytest public_tests``.
"""

import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

STARTER = Path(__file__).resolve().parent.parent / "starter"


def find(submission_dir: Path, name: str) -> Path:
    for folder in (submission_dir, STARTER):
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(f"{name} not found next to submission.py")


def loaded(submission, submission_dir, builder: str, weights: str) -> torch.nn.Module:
    """As the grader loads it: the builder (which may load a pretrained backbone), then the
    weights file over it. The file may leave out tensors the builder loaded from a backbone
    (``weights_strict = false``); what it holds must fit the model's keys and shapes."""
    model = getattr(submission, builder)()
    state = load_file(str(submission_dir / weights))
    expected = model.state_dict()
    unknown = [k for k in state if k not in expected]
    assert not unknown, f"{weights} holds tensors the model does not have: {unknown[:3]}"
    for key, tensor in state.items():
        assert tensor.shape == expected[key].shape, f"{weights}: {key} has the wrong shape"
    model.load_state_dict(state, strict=False)
    return model.eval()


@pytest.fixture(scope="module")
def digits(submission_dir):
    with np.load(find(submission_dir, "train_digits.npz")) as data:
        images = torch.from_numpy(data["images"]).float()[:, None] / 255.0
        return images, torch.from_numpy(data["labels"])


@pytest.fixture(scope="module")
def canvases(submission_dir):
    """Canvases like the hidden ones, with the training digits as objects on smooth noise."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("canvases", find(submission_dir, "canvases.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules["canvases"] = module  # its dataclasses look their module up while being built
    spec.loader.exec_module(module)
    with np.load(find(submission_dir, "train_digits.npz")) as data:
        objects, labels = data["images"], data["labels"]
    rng = np.random.default_rng(0)
    noise = torch.nn.functional.avg_pool2d(torch.rand(4, 1, 260, 260), 5, 1)[:, 0].numpy()
    backgrounds = [np.round(n * 255).astype(np.uint8) for n in noise]
    return module.generate(objects, labels, backgrounds, count=32, seed=int(rng.integers(1000)),
                           spec=module.FASHION_SPEC)


def test_the_classifier_reads_the_training_digits_in_their_own_order(submission, submission_dir, digits):
    images, labels = digits
    with torch.no_grad():
        logits = loaded(submission, submission_dir, "build_classifier", "classifier.safetensors")(images)
    assert logits.shape == (len(labels), 10)
    # Trained on these very digits: anything far below 100% means labels got mixed up.
    assert (logits.argmax(1) == labels).float().mean() >= 0.9


def test_the_classifier_answers_each_image_alone_as_in_a_batch(submission, submission_dir, digits):
    """Batch norm in training mode makes an answer depend on the other images of the batch."""
    model = loaded(submission, submission_dir, "build_classifier", "classifier.safetensors")
    images = digits[0][:8]
    with torch.no_grad():
        together = model(images)
        alone = torch.cat([model(images[i:i + 1]) for i in range(len(images))])
    torch.testing.assert_close(together, alone, rtol=1e-4, atol=1e-4)


def test_the_localizer_gives_classes_and_pixel_boxes(submission, submission_dir, canvases):
    model = loaded(submission, submission_dir, "build_localizer", "localizer.safetensors")
    images = torch.from_numpy(canvases.images).float()[:, None] / 255.0
    with torch.no_grad():
        logits, boxes = model(images)
    assert logits.shape == (32, 10) and boxes.shape == (32, 4)
    assert torch.isfinite(boxes).all()
    # x0, y0, x1, y1 in pixels: corners ordered, about on the canvas, many pixels wide.
    assert (boxes[:, 2] > boxes[:, 0]).all() and (boxes[:, 3] > boxes[:, 1]).all()
    assert boxes.min() >= -32 and boxes.max() <= 96
    assert (boxes[:, 2] - boxes[:, 0]).mean() > 8


def test_the_localizer_answers_each_canvas_alone_as_in_a_batch(submission, submission_dir, canvases):
    model = loaded(submission, submission_dir, "build_localizer", "localizer.safetensors")
    images = torch.from_numpy(canvases.images[:6]).float()[:, None] / 255.0
    with torch.no_grad():
        together = model(images)[1]
        alone = torch.cat([model(images[i:i + 1])[1] for i in range(len(images))])
    torch.testing.assert_close(together, alone, rtol=1e-4, atol=1e-3)
