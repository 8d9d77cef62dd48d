"""Model cards: parameters, multiply-accumulates and measured speed of every registered model.

Multiply-accumulates come from ``torch.utils.flop_counter`` on the meta device (no arithmetic is
done, so even VGG-19 is counted instantly); one MAC is two FLOPs. Latency (batch 1) and
throughput (a larger batch) are measured on this machine, in eval mode, after warm-up.
"""

from __future__ import annotations

import json
import platform
import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from reference_models.registry import build, get_spec, list_models


@dataclass(frozen=True)
class ModelCard:
    name: str
    family: str
    input_size: int
    in_channels: int
    num_classes: int
    params: int
    macs: int
    latency_ms_p50: float | None
    throughput_ips: float | None
    batch_size: int
    device: str


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def inference_kwargs(name: str) -> dict[str, object]:
    """Builder arguments that drop training-only parts (GoogLeNet's auxiliary heads), so a
    card counts what inference uses, as the published tables do."""
    return {"aux_logits": False} if get_spec(name).family == "googlenet" else {}


def inference_params(name: str, num_classes: int, in_channels: int, input_size: int) -> int:
    with torch.device("meta"):
        model = build(name, num_classes=num_classes, in_channels=in_channels,
                      input_size=input_size, **inference_kwargs(name))
    return count_params(model)


def count_macs(name: str, input_size: int, in_channels: int = 3, num_classes: int = 1000,
               **kwargs: object) -> int:
    """Multiply-accumulates of one forward pass of one image, in eval mode."""
    with torch.device("meta"):
        model = build(name, num_classes=num_classes, in_channels=in_channels,
                      input_size=input_size, **kwargs).eval()
        x = torch.empty(1, in_channels, input_size, input_size)
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(x)
    return counter.get_total_flops() // 2


def _timed(model: nn.Module, x: torch.Tensor, repeats: int, warmup: int) -> list[float]:
    with torch.inference_mode():
        for _ in range(warmup):
            model(x)
        times = []
        for _ in range(repeats):
            if x.is_cuda:
                torch.cuda.synchronize()
            start = time.perf_counter()
            model(x)
            if x.is_cuda:
                torch.cuda.synchronize()
            times.append(time.perf_counter() - start)
    return times


def measure_speed(model: nn.Module, input_shape: tuple[int, int, int], batch_size: int,
                  repeats: int = 5, warmup: int = 1, device: str = "cpu") -> tuple[float, float]:
    """(latency p50 in ms at batch 1, throughput in images/s at ``batch_size``)."""
    model = model.eval().to(device)
    single = _timed(model, torch.rand(1, *input_shape, device=device), repeats, warmup)
    batch = _timed(model, torch.rand(batch_size, *input_shape, device=device), repeats, warmup)
    return 1000 * statistics.median(single), batch_size / statistics.median(batch)


def make_card(name: str, input_size: int | None = None, in_channels: int = 3,
              num_classes: int = 1000, batch_size: int = 16, repeats: int = 5,
              measure: bool = True, device: str = "cpu") -> ModelCard:
    spec = get_spec(name)
    size = input_size or spec.default_input_size
    if spec.family == "simple_cnn" and input_size is None:
        in_channels, num_classes = 1, 10  # its home: 28x28 gray digits
    torch.manual_seed(0)
    model = build(name, num_classes=num_classes, in_channels=in_channels, input_size=size,
                  **inference_kwargs(name))
    latency = throughput = None
    if measure:
        latency, throughput = measure_speed(model, (in_channels, size, size), batch_size,
                                            repeats, device=device)
    return ModelCard(name, spec.family, size, in_channels, num_classes, count_params(model),
                     count_macs(name, size, in_channels, num_classes), latency, throughput,
                     batch_size, _device_name(device))


def _device_name(device: str) -> str:
    if device.startswith("cuda"):
        return torch.cuda.get_device_name(torch.device(device))
    return f"{platform.processor() or platform.machine()} ({torch.get_num_threads()} threads)"


def cards_markdown(cards: list[ModelCard]) -> str:
    lines = [("| model | family | input | params | MACs | latency p50 (ms, batch 1) | "
             "throughput (img/s) |"), "|---|---|---|---:|---:|---:|---:|"]
    for c in cards:
        latency = f"{c.latency_ms_p50:.1f}" if c.latency_ms_p50 is not None else "-"
        throughput = f"{c.throughput_ips:.1f}" if c.throughput_ips is not None else "-"
        lines.append(f"| {c.name} | {c.family} | {c.in_channels}x{c.input_size}x{c.input_size}"
                     f" | {c.params:,} | {c.macs / 1e6:,.1f} M | {latency} | {throughput} |")
    return "\n".join(lines) + "\n"


def write_cards(cards: list[ModelCard], out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out_dir / "model_cards.json", out_dir / "model_cards.md"
    payload = {"torch": torch.__version__, "cards": [asdict(c) for c in cards]}
    json_path.write_text(json.dumps(payload, indent=2) + "\n")
    md_path.write_text(cards_markdown(cards))
    return json_path, md_path


def all_cards(names: list[str] | None = None, **kwargs: object) -> list[ModelCard]:
    return [make_card(n, **kwargs) for n in (names or list_models())]  # type: ignore[arg-type]
