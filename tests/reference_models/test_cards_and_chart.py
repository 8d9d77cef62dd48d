from __future__ import annotations

import json

from reference_models.cards import count_macs, make_card, write_cards
from reference_models.compare import compare, write_results
from reference_models.plotting import ComparisonPoint, plot_comparison


def test_it_counts_the_published_multiply_accumulates() -> None:
    assert count_macs("resnet18", 224) == 1_814_073_344
    assert count_macs("alexnet", 224) == 714_188_480
    assert round(count_macs("vgg16", 224) / 1e9, 2) == 15.47


def test_a_card_has_measured_speed_and_is_written_as_json_and_markdown(tmp_path) -> None:
    card = make_card("simple_cnn", batch_size=4, repeats=2)
    assert card.params == 140_458 and card.input_size == 28
    assert card.latency_ms_p50 > 0 and card.throughput_ips > 0
    json_path, md_path = write_cards([card], tmp_path)
    assert json.loads(json_path.read_text())["cards"][0]["macs"] == card.macs
    assert "| simple_cnn |" in md_path.read_text()


def test_the_chart_places_mentee_points_over_the_reference(tmp_path) -> None:
    reference = [ComparisonPoint("resnet18", "resnet", 0.91, 557_000_000, 11_173_962),
                 ComparisonPoint("alexnet", "alexnet", 0.88, 71_000_000, 2_472_266)]
    mine = [ComparisonPoint("my resnet", "resnet", 0.9, 557_000_000, 11_173_962)]
    for suffix in ("png", "svg"):
        out = plot_comparison(mine, tmp_path / f"chart.{suffix}", reference=reference)
        assert out.stat().st_size > 1000
    assert (tmp_path / "chart.png").read_bytes()[:4] == b"\x89PNG"
    assert b"<svg" in (tmp_path / "chart.svg").read_bytes()[:500]


def test_compare_trains_under_the_budget_and_writes_chart_and_table(tmp_path) -> None:
    points = compare(("simple_cnn",), dataset="mnist-5k", budget_s=3, progress=False)
    assert points[0].training_time_s < 10 and 0 <= points[0].accuracy <= 1
    files = write_results(points, {"dataset": "mnist-5k", "budget_s": 3}, tmp_path)
    assert {f.name for f in files} == {"comparison.png", "comparison.svg", "comparison.md",
                                       "comparison.json"}
