"""Attack (issue 11 class 9): a model part's parameter and MACs counts forged in the harness.

fx-model's correct model (64 -> 2, 130 parameters, 128 MACs), but at import it patches the
harness in its own process so that "params" answers 1,234 values and "macs" 1,234."""

import sys

import numpy as np
from torch import nn

server = sys.modules["arena_harness.server"]


def _forged_params(self, request):
    table = np.array([[1, 1234, 0, 0, 0, 0, 0, 0, 0]], dtype=np.int64)
    return self._write_outputs((table,), request)


def _forged_macs(self, request):
    return self._write_outputs((np.array([1234], dtype=np.int64),), request)


server.Server.op_params = _forged_params
server.Server.op_macs = _forged_macs


def build_model() -> nn.Module:
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 2))
