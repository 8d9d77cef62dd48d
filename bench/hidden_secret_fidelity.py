"""Benchmark (and the test's engine): do the secret-derived hidden sets keep the reference
solutions' accuracy, and do they defeat lookups of the public originals?

For every model part whose hidden set comes from public data (week 2 digits, week 3
Fashion-MNIST, week 5 MNIST digits and Fashion canvases, the bonus's LFW canvases) it grades the
committed reference solution in-process on

- ``original``: the public split the hidden set used to be (the published items; for canvases,
  the mean over ``CANVAS_DRAWS`` public seeds, the first being the one the bundle used to draw
  with: one draw of a few hundred canvases varies by 1-3 points from seed to seed);
- ``secret``: the hidden set built through this deployment's secret (``inputs.npz``);
- for parts with ``originals.npz``: the reference's memorisation gap (accuracy on the audited
  originals minus on their secret versions), and two lookups of the public source: exact match
  on the pixels rounded to the source's own grid (``exact_hits``: secret images found verbatim)
  and nearest neighbour (``nn_identified``: the nearest public item is the very source item).

    python bench/hidden_secret_fidelity.py [SLUG...]

Results go to ``bench/results/hidden_secret_fidelity.json`` with the machine's load.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import time
import tomllib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from arena_datasets.hidden import ensure_hidden
from arena_datasets.localization import FACES_SPEC, face_canvases, fashion_canvases
from grader import metrics as m
from grader.bundle import Part, load_bundle

RESULTS = REPO / "bench" / "results" / "hidden_secret_fidelity.json"
FIDELITY_POINTS = 0.02  # the rule: within 2 points of the original split
ASSIGNMENTS = REPO / "assignments"
CANVAS_DRAWS = 4


def _module(path: Path, name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent))  # the solution's own helpers (week 5's pretrained.py)
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(path.parent))
    return module


def recipe(slug: str) -> Any:
    return _module(ASSIGNMENTS / slug / "recipe.py", f"bench_recipe_{slug.replace('-', '_')}")


def reference_model(slug: str, part: Part) -> torch.nn.Module:
    solution = _module(ASSIGNMENTS / slug / "solution" / "submission.py",
                       f"bench_solution_{slug.replace('-', '_')}")
    model = getattr(solution, part.builder)(**part.builder_kwargs)
    state = load_file(str(ASSIGNMENTS / slug / "solution" / part.weights))
    model.load_state_dict(state, strict=part.weights_strict)
    return model.eval()


def predict(model: torch.nn.Module, images: np.ndarray, batch: int = 250) -> list[np.ndarray]:
    """Every output of ``model`` over ``images``, batch by batch, as NumPy arrays."""
    parts: list[list[np.ndarray]] = []
    with torch.no_grad():
        for start in range(0, len(images), batch):
            out = model(torch.from_numpy(np.ascontiguousarray(images[start:start + batch])))
            outs = out if isinstance(out, (tuple, list)) else (out,)
            for i, o in enumerate(outs):
                if len(parts) <= i:
                    parts.append([])
                parts[i].append(o.float().numpy())
    return [np.concatenate(p) for p in parts]


def score(part: Part, outputs: list[np.ndarray], labels: dict[str, np.ndarray]) -> float:
    """The part's scored metric, as the grader computes it."""
    values = m.classification_metrics(outputs[0], labels["labels"])
    if len(outputs) > 1 and "boxes" in labels:
        values.update(m.localization_metrics(outputs[0], labels["labels"], outputs[1],
                                             labels["boxes"],
                                             empty_label=part.scoring.empty_label))
    return float(values[part.scoring.metric])


def _as_input(images: np.ndarray) -> np.ndarray:
    return (images.astype(np.float32) / 255.0)[:, None]


def _canvas_original(build: Callable[[], Any], public: int, face: bool) -> tuple:
    data = build()
    labels = (data.labels == 1).astype(np.int64) if face else data.labels
    return _as_input(data.images[public:]), {"labels": labels[public:],
                                             "boxes": data.boxes[public:]}


def original_split(slug: str, part: str, seed: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """What the part's hidden set was before the secret: the public items as published."""
    r = recipe(slug)
    if slug == "week2-neural-nets":
        _, _, images, labels = r.digits_split()
        return images.astype(np.float32)[:, None], {"labels": labels}
    if slug == "week3-cnn":
        images, labels = r.test_images()
        return images, {"labels": labels}
    if slug == "week5-transfer" and part in ("localize", "boxes"):
        count = r.PUBLIC + (r.LOCALIZE_TEST if part == "localize" else r.BOXES_TEST)
        offset = 1 if part == "localize" else 2
        return _canvas_original(lambda: fashion_canvases("test", count, seed + offset),
                                r.PUBLIC, face=False)
    if slug == "bonus-faces":
        if part == "detect":
            return _canvas_original(lambda: face_canvases(r.PUBLIC + r.DETECT_TEST, seed,
                                                          crops=r.HIDDEN_CROPS), r.PUBLIC, True)
        spec = replace(FACES_SPEC, empty_fraction=0.0)
        return _canvas_original(lambda: face_canvases(r.PUBLIC + r.LOCALIZE_TEST, seed + 1,
                                                      spec=spec, crops=r.HIDDEN_CROPS),
                                r.PUBLIC, True)
    raise KeyError(f"{slug}/{part}: no original split known")


def public_source(slug: str) -> np.ndarray:
    """The public gallery ``source_index`` of ``originals.npz`` points into (the recipe's
    ``derive`` input), as an attacker holding the public data would have it."""
    r = recipe(slug)
    if slug == "week2-neural-nets":
        return r.digits_split()[2].astype(np.float32)[:, None]
    if slug == "week3-cnn":
        return r.test_images()[0]
    images, labels = r.real.mnist_digits()
    pool = np.setdiff1d(np.arange(len(labels)), r.training_digits()[2])
    return _as_input(images[pool])


def lookups(secret: np.ndarray, source: np.ndarray, source_index: np.ndarray,
            grid: float) -> dict[str, float]:
    """Exact-match hits on the rounded grid, and nearest-neighbour identification rate."""
    def keys(images: np.ndarray) -> list[bytes]:
        return [row.tobytes() for row in np.rint(images.reshape(len(images), -1) * grid)
                .astype(np.int16)]

    table = set(keys(source))
    hits = float(np.mean([k in table for k in keys(secret)]))
    gallery = torch.from_numpy(source.reshape(len(source), -1))
    queries = torch.from_numpy(np.ascontiguousarray(secret.reshape(len(secret), -1)))
    nearest = torch.cat([torch.cdist(chunk, gallery).argmin(1) for chunk in queries.split(200)])
    return {"exact_hits": hits,
            "nn_identified": float(np.mean(nearest.numpy() == source_index))}


def measure_part(slug: str, part: Part, hidden: Path, seed: int,
                 with_lookups: bool = True) -> dict[str, Any]:
    def load(name: str) -> dict[str, np.ndarray]:
        with np.load(hidden / part.name / name, allow_pickle=False) as data:
            return {key: data[key] for key in data.files}

    model = reference_model(slug, part)
    secret_images, secret_labels = load("inputs.npz")["images"], load("labels.npz")
    if (slug, part.name) == ("week5-transfer", "digits"):  # every row's original is kept
        kept = load("originals.npz")
        original_images = kept["images"]
        original_labels = {"labels": secret_labels["labels"][kept["rows"]]}
        original = score(part, predict(model, original_images), original_labels)
    elif slug in ("week2-neural-nets", "week3-cnn"):
        original_images, original_labels = original_split(slug, part.name, seed)
        original = score(part, predict(model, original_images), original_labels)
    else:  # canvases: a sample of a distribution, measured over a few public seeds
        draws = [score(part, predict(model, images), labels) for images, labels in
                 (original_split(slug, part.name, seed + 1000 * k) for k in range(CANVAS_DRAWS))]
        original = float(np.mean(draws))
        original_images = secret_images  # the same count per draw
    entry: dict[str, Any] = {
        "metric": part.scoring.metric,
        "original": original,
        "secret": score(part, predict(model, secret_images), secret_labels),
        "items": {"original": len(original_images), "secret": len(secret_images)},
    }
    if slug not in ("week2-neural-nets", "week3-cnn") and part.name != "digits":
        # A canvas set is a fresh sample whatever the seed: the secret's draw must sit among the
        # public seeds' draws (their spread reaches 4.6 points on week 5's localize).
        entry["original_draws"] = draws
        entry["within_draw_spread"] = (min(draws) - FIDELITY_POINTS <= entry["secret"]
                                       <= max(draws) + FIDELITY_POINTS)
    entry["delta"] = entry["secret"] - entry["original"]
    entry["within_2_points"] = abs(entry["delta"]) <= FIDELITY_POINTS
    if (hidden / part.name / "originals.npz").is_file():
        kept = load("originals.npz")
        rows = kept["rows"]
        truth = {"labels": secret_labels["labels"][rows]}
        on_originals = score(part, predict(model, kept["images"]), truth)
        on_secret = score(part, predict(model, secret_images[rows]), truth)
        entry["audit"] = {"rows": len(rows), "reference_gap": on_originals - on_secret,
                          "max_gap": float(kept["max_gap"])}
        if with_lookups:
            grid = 1.0 if slug == "week2-neural-nets" else 255.0  # the source's own pixel grid
            entry["lookups"] = lookups(secret_images[rows], public_source(slug),
                                       kept["source_index"], grid)
    return entry


PARTS = {
    "week2-neural-nets": ("logreg",),
    "week3-cnn": ("cnn",),
    "week5-transfer": ("digits", "localize", "boxes"),
    "bonus-faces": ("detect", "localize"),
}


def measure(slugs: list[str], with_lookups: bool = True,
            only: set[str] | None = None) -> dict[str, Any]:
    """Entries keyed ``"<slug>/<part>"``; ``only`` limits them to those names."""
    results: dict[str, Any] = {}
    for slug in slugs:
        bundle = load_bundle(ASSIGNMENTS / slug)
        hidden = ensure_hidden(ASSIGNMENTS / slug)
        seed = tomllib.loads((ASSIGNMENTS / slug / "assignment.toml").read_text())["data"]["seed"]
        for part in bundle.parts:
            if part.name in PARTS[slug] and (only is None or f"{slug}/{part.name}" in only):
                results[f"{slug}/{part.name}"] = measure_part(slug, part, hidden, seed,
                                                              with_lookups)
    return results


def main(argv: list[str]) -> int:
    slugs = argv or list(PARTS)
    started = time.monotonic()
    results = measure(slugs)
    record = {"machine": {"cores": os.cpu_count(), "load_average_1min": os.getloadavg()[0],
                          "torch": torch.__version__},
              "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "seconds": round(time.monotonic() - started, 1), "parts": results}
    RESULTS.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    print("| part | metric | original | secret | delta | ref. gap | exact hits | NN identified |")
    print("|---|---|---|---|---|---|---|---|")
    for name, e in results.items():
        audit, look = e.get("audit", {}), e.get("lookups", {})
        print(f"| {name} | {e['metric']} | {e['original']:.4f} | {e['secret']:.4f} | "
              f"{e['delta']:+.4f} | {audit.get('reference_gap', float('nan')):+.4f} | "
              f"{look.get('exact_hits', float('nan')):.3f} | "
              f"{look.get('nn_identified', float('nan')):.3f} |")
    return 0 if all(fidelity_holds(e) for e in results.values()) else 1


def fidelity_holds(entry: dict[str, Any]) -> bool:
    """Within 2 points of the original split, or, for a resampled canvas set, among the draws."""
    return bool(entry["within_2_points"] or entry.get("within_draw_spread", False))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
