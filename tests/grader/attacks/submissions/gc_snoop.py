"""Threat 15: look for the expected outputs in the process's memory and return them."""

import gc

import numpy as np
import torch


def add(a, b):
    for obj in gc.get_objects():
        same_shape = isinstance(obj, (np.ndarray, torch.Tensor)) and obj.shape == a.shape
        if (
            same_shape
            and obj is not a
            and obj is not b
            and not torch.equal(torch.as_tensor(obj), a)
        ):
            return torch.as_tensor(obj)
    return torch.zeros_like(a)
