"""Public checks of the bonus: interface, weights, output format, eval-mode behaviour.

They need ``canvases.py`` from the starter next to your submission and scikit-image (its
LFW subset holds the faces). Run from your working folder: ``pytest public_tests``.
"""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

STARTER = Path(__file__).resolve().parent.parent / "starter"


@pytest.fixture(scope="module")
def canvases(submission_dir):
    """Training-style canvases: LFW crops 0 to 69 on skimage's textures."""
    import skimage.data

    path = next(p for p in (submission_dir / "canvases.py", STARTER / "canvases.py") if p.is_file())
    spec = importlib.util.spec_from_file_location("canvases", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["canvases"] = module  # its dataclasses look their module up while being built
    spec.loader.exec_module(module)
    crops = np.round(skimage.data.lfw_subset() * 255).astype(np.uint8)
    backgrounds = [skimage.data.brick(), skimage.data.grass(), skimage.data.gravel()]
    return module.generate(crops[:70], np.ones(70, np.int64), backgrounds, count=64, seed=3,
                           spec=module.FACES_SPEC, distractor_sources=list(crops[100:170]))


@pytest.fixture(scope="module")
def model(submission, submission_dir):
    model = submission.build_model()
    model.load_state_dict(load_file(str(submission_dir / "face.safetensors")))
    return model.eval()


def inputs(canvases) -> torch.Tensor:
    return torch.from_numpy(canvases.images).float()[:, None] / 255.0


def test_it_answers_with_two_logits_and_a_pixel_box(model, canvases):
    with torch.no_grad():
        logits, boxes = model(inputs(canvases))
    assert logits.shape == (64, 2) and boxes.shape == (64, 4)
    faces = canvases.labels == 1
    assert torch.isfinite(boxes).all()
    assert (boxes[faces, 2] > boxes[faces, 0]).all() and (boxes[faces, 3] > boxes[faces, 1]).all()
    assert (boxes[faces, 2] - boxes[faces, 0]).mean() > 8, "boxes are in pixels, not in 0..1"


def test_it_tells_faces_from_empty_canvases_it_was_trained_on(model, canvases):
    with torch.no_grad():
        predicted = model(inputs(canvases))[0].argmax(1).numpy()
    assert (predicted == (canvases.labels == 1)).mean() >= 0.8, "column 1 must mean 'face'"


def test_it_answers_each_canvas_alone_as_in_a_batch(model, canvases):
    images = inputs(canvases)[:6]
    with torch.no_grad():
        together = model(images)[0]
        alone = torch.cat([model(images[i:i + 1])[0] for i in range(len(images))])
    torch.testing.assert_close(together, alone, rtol=1e-4, atol=1e-4)
