"""Generators: the same seed and keys give the same data, streams are independent."""

import numpy as np
import pytest

from arena_datasets import generators as g


def test_the_same_seed_and_keys_give_the_same_stream():
    a = g.random_normal(g.rng_for(7, "conv2d", 3), (4, 5))
    b = g.random_normal(g.rng_for(7, "conv2d", 3), (4, 5))
    np.testing.assert_array_equal(a, b)


def test_other_keys_or_seeds_give_other_streams():
    base = g.random_array(g.rng_for(7, "conv2d", 3), (64,))
    assert not np.array_equal(base, g.random_array(g.rng_for(7, "conv2d", 4), (64,)))
    assert not np.array_equal(base, g.random_array(g.rng_for(8, "conv2d", 3), (64,)))


def test_streams_are_pinned_across_versions_of_the_code():
    # A changed value here means hidden cases changed: bump GENERATOR_VERSION and the recipes.
    value = g.random_array(g.rng_for(1, "pin"), (3,), "int64", 0, 1000)
    assert value.tolist() == PINNED_VALUES


PINNED_VALUES = [849, 800, 699]


@pytest.mark.parametrize("dtype", ["float32", "float64", "uint8", "int64"])
def test_random_arrays_have_the_requested_dtype_and_range(dtype):
    low, high = (0, 256) if dtype == "uint8" else (-3, 3)
    array = g.random_array(g.rng_for(1, dtype), (100,), dtype, low, high)
    assert array.dtype == np.dtype(dtype)
    assert array.min() >= low and array.max() < high


def test_random_labels_cover_every_class():
    labels = g.random_labels(g.rng_for(1, "labels"), 10, 10)
    assert sorted(labels.tolist()) == list(range(10))


def test_public_private_split_is_a_sorted_partition_fixed_by_the_seed():
    public, private = g.public_private_split(1001, seed=5)
    assert len(public) == 500 or len(public) == 501
    assert np.all(np.diff(public) > 0) and np.all(np.diff(private) > 0)
    assert sorted(np.concatenate([public, private]).tolist()) == list(range(1001))
    again, _ = g.public_private_split(1001, seed=5)
    np.testing.assert_array_equal(public, again)
    other, _ = g.public_private_split(1001, seed=6)
    assert not np.array_equal(public, other)


def test_stratified_split_holds_out_the_fraction_of_every_class():
    labels = np.repeat(np.arange(4), [10, 20, 30, 40])
    train, test = g.stratified_split(labels, seed=3, test_fraction=0.3)
    assert np.bincount(labels[test]).tolist() == [3, 6, 9, 12]
    assert not set(train) & set(test) and len(train) + len(test) == 100
