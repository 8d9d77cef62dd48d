"""Which forbidden operators a "by hand" function ran (threat 40), recorded during the call.

Every ATen operator a call executes goes through ``__torch_dispatch__`` of the active mode,
whatever Python spelling reached it (``F.conv2d``, ``torch.conv2d``, ``nn.Conv2d``, a method).
``"autograd"`` is recorded when an operator runs inside an autograd backward pass (the engine
sets a graph task id), whether ``.backward()``, ``torch.autograd.grad`` or ``torch.func``
started it. Only the call itself is recorded: the harness copies the arguments before the mode
is entered and the results after it is left. The trusted side asks for the record of a function
by naming the operators it forbids, and reads back one flag per name: no operator name ever
comes from here. Code in this process can tamper with this record; the trusted side's source
scan (``grader.source_audit``) is the other half of the audit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import torch
from torch.utils._python_dispatch import TorchDispatchMode

AUTOGRAD = "autograd"


class OpAudit(TorchDispatchMode):
    """Records the operators of ``watched`` that run while it is active."""

    @classmethod
    def _should_skip_dynamo(cls) -> bool:
        # Nothing is compiled here; torch's default wraps the handler so that its first call
        # imports torch._dynamo (7 s on a loaded 2-core worker).
        return False

    def __init__(self, watched: Iterable[str]) -> None:
        super().__init__()
        self.watched = frozenset(watched)
        self.used: set[str] = set()

    def __torch_dispatch__(
        self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None
    ) -> Any:
        name = func._schema.name  # "aten::convolution": the operator, not its overload
        if name in self.watched:
            self.used.add(name)
        if AUTOGRAD in self.watched and torch._C._current_graph_task_id() != -1:
            self.used.add(AUTOGRAD)
        return func(*args, **(kwargs or {}))


class AuditLog:
    """The operators each audited function used, over all its calls in this stage."""

    def __init__(self) -> None:
        self.used: dict[str, set[str]] = {}

    def call(self, name: str, watched: list[str], function: Callable[[], Any]) -> Any:
        if not watched:
            return function()
        audit = OpAudit(watched)
        try:
            with audit:
                return function()
        finally:
            self.used.setdefault(name, set()).update(audit.used)

    def flags(self, name: str, forbidden: list[str]) -> np.ndarray:
        """One flag per name of ``forbidden``, in its order: 1 where the function used it."""
        used = self.used.get(name, set())
        return np.array([op in used for op in forbidden], dtype=np.uint8)
