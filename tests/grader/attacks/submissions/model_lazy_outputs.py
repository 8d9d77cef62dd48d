"""Threat 33: answer zeros at once and write the real answer into shared memory later."""

import gc
import mmap
import threading
import time

import numpy as np
import torch
from torch import nn


def _late_writer(shm: mmap.mmap, offset: int, logits: np.ndarray) -> None:
    time.sleep(0.05)
    data = logits.astype(np.float32).tobytes()
    shm[offset : offset + len(data)] = data


class Lazy(nn.Sequential):
    def forward(self, x):
        real = super().forward(x).numpy().copy()
        shm = next(o for o in gc.get_objects() if isinstance(o, mmap.mmap))
        out_offset = (x.numel() * 4 + 63) // 64 * 64  # where the answer goes for a full batch
        threading.Thread(target=_late_writer, args=(shm, out_offset, real)).start()
        return torch.zeros(len(x), 2)


def build_model() -> nn.Module:
    return Lazy(nn.Flatten(), nn.Linear(64, 2))
