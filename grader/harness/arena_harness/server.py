"""The request loop: one request in, one fixed-layout reply out, until the trusted side says bye."""

from __future__ import annotations

import math
import mmap
import socket
import sys
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import torch

from . import loading, param_mapping, training, wire
from .audit import AuditLog
from .loading import HarnessFailure
from .macs import count_macs


class Server:
    def __init__(
        self,
        sock: socket.socket,
        shm: mmap.mmap,
        submission: Path,
        inputs: Path | None = None,
        pretrained: Path | None = None,
    ) -> None:
        self.sock = sock
        self.shm = memoryview(shm)
        self.submission = submission
        self.inputs = inputs
        self.pretrained = pretrained  # the mounted backbones, if the bundle declares any
        self.module: ModuleType | None = None
        self.model: torch.nn.Module | None = None
        self.device = torch.device("cpu")
        self.audit = AuditLog()  # forbidden operators the "by hand" functions ran

    def serve(self) -> None:
        self.sock.sendall(wire.encode_frame(wire.HELLO, wire.OK, 0, "arena harness 1"))
        while True:
            request = wire.recv_request(self.sock)
            if request.get("op") == "bye":
                return
            self.sock.sendall(self.answer(request))

    def answer(self, request: dict) -> bytes:
        handler = getattr(self, f"op_{request.get('op')}", None)
        if handler is None:
            return wire.encode_frame(wire.RESULT, wire.BAD_REQUEST, _seq(request), "unknown op")
        # The seq is read after the handler: a train request is answered at its last batch.
        try:
            tensors = handler(request) or ()
            return wire.encode_frame(wire.RESULT, wire.OK, _seq(request), "", tensors)
        except HarnessFailure as failure:
            return wire.encode_frame(wire.RESULT, failure.status, _seq(request), failure.message)
        except (KeyError, ValueError, TypeError) as exc:
            if _raised_by_harness(exc):
                name = type(exc).__name__
                return wire.encode_frame(wire.RESULT, wire.BAD_REQUEST, _seq(request), name)
            return self.mentee_exception(_seq(request), exc)
        except BaseException as exc:  # noqa: BLE001 - SystemExit from mentee code is an exception too
            return self.mentee_exception(_seq(request), exc)

    def mentee_exception(self, seq: int, exc: BaseException) -> bytes:
        # The traceback goes to stderr (a log only mentors see for hidden stages); the reply
        # carries the exception's type name only (threat 20).
        traceback.print_exc(file=sys.stderr)
        return wire.encode_frame(wire.RESULT, wire.EXCEPTION, seq, f"raised {type(exc).__name__}")

    # -- operations ---------------------------------------------------------------------------
    def op_load(self, request: dict) -> None:
        if self.module is None:
            self.module = loading.import_entry(
                self.submission, request["entry"], float(request.get("import_seconds", 0))
            )
        self.device = _device(request.get("device", "cpu"))
        builder = request.get("builder")
        if not builder:
            return
        self.model = loading.build_module(self.module, builder, request.get("builder_kwargs", {}))
        weights = wire.Weights.from_request(request)  # the mapping rule: wire.WEIGHT_MAPPINGS
        if weights is not None and weights.mapping == "order":
            loading.load_by_order(self.model, self._input_file(weights.file))
        elif weights is not None and weights.mapping == "role":
            _load_by_role(self.model, self._input_file(weights.file))
        elif weights is not None:
            loading.load_weights(
                self.model,
                self.submission / weights.file,
                strict=weights.strict,
                pretrained=self.pretrained,
            )
        self.model.to(self.device).eval()

    def op_call(self, request: dict) -> tuple:
        function = loading.get_callable(self._module(), request["function"])
        args = [self._argument(spec) for spec in request.get("args", [])]
        kwargs = {name: self._argument(spec) for name, spec in request.get("kwargs", {}).items()}
        # Arguments are copied above, results written below: the audit sees the call alone.
        result = self.audit.call(
            request["function"], list(request.get("audit", [])), lambda: function(*args, **kwargs)
        )
        results = result if isinstance(result, (tuple, list)) else (result,)
        return self._write_outputs(results, request)

    def op_audit(self, request: dict) -> tuple:
        flags = self.audit.flags(request["function"], list(request["forbidden"]))
        return self._write_outputs((flags,), request)

    def op_infer(self, request: dict) -> tuple:
        model = self._model()
        batch = torch.from_numpy(wire.tensor_view(self.shm, request["input"])).to(self.device)
        with torch.inference_mode():
            result = model(batch)
        results = result if isinstance(result, (tuple, list)) else (result,)
        return self._write_outputs(results, request)

    def op_params(self, request: dict) -> tuple:
        shapes = [tuple(p.shape) for p in self._model().parameters()]
        return self._write_outputs((_shape_table(shapes),), request)

    def op_macs(self, request: dict) -> tuple:
        shape = tuple(int(s) for s in request["input_shape"])
        macs = count_macs(self._model(), torch.zeros(shape, device=self.device))
        return self._write_outputs((np.array([macs], dtype=np.int64),), request)

    def op_train(self, request: dict) -> tuple:
        module = self._module()
        builder = request.get("builder", "build_model")
        training.seed_everything(request["budget"])  # the same initial weights on every worker
        self.model = loading.build_module(module, builder, request.get("builder_kwargs", {}))
        self.model.to(self.device)
        # The training split arrives batch by batch over this channel (training.BatchFeed).
        feed = training.BatchFeed(self.sock, self.shm, request, self.device)
        training.run(module, self.model, feed, request["budget"])
        self.model.eval()
        # Copied now, as train() returned: nothing that runs later changes what is graded
        # (recalibration's reply is another state, of which the trusted side takes only the
        # batch-norm statistics).
        return self._write_state(self.model, request)

    def op_recalibrate(self, request: dict) -> tuple:
        model = self._model()
        images = torch.from_numpy(np.array(wire.tensor_view(self.shm, request["images"])))
        count = training.recalibrate_batchnorm(
            model, images.to(self.device), int(request["batch_size"])
        )
        print(f"[train] batch-norm statistics of {count} layers recalibrated", flush=True)
        return self._write_state(model, request)

    # -- helpers ------------------------------------------------------------------------------
    def _write_state(self, model: torch.nn.Module, request: dict) -> tuple:
        """The model's state as two tensors whatever its size: every value in order (the
        state dict's), and the shapes table."""
        state = [t.detach().cpu().float() for _, t in loading.ordered_entries(model)]
        blob = torch.cat([t.reshape(-1) for t in state]) if state else torch.zeros(0)
        return self._write_outputs((blob, _shape_table([tuple(t.shape) for t in state])), request)

    def _module(self) -> ModuleType:
        if self.module is None:
            raise HarnessFailure(wire.BAD_REQUEST, "nothing loaded")
        return self.module

    def _input_file(self, name: str) -> Path:
        """A file of the stage inputs, named by the trusted side (a plain name, no path)."""
        if self.inputs is None or not name or "/" in name or name.startswith("."):
            raise HarnessFailure(wire.BAD_REQUEST, "bad stage input name")
        return self.inputs / name

    def _model(self) -> torch.nn.Module:
        if self.model is None:
            raise HarnessFailure(wire.BAD_REQUEST, "no model built")
        return self.model

    def _argument(self, spec: dict) -> Any:
        if "scalar" in spec:
            return spec["scalar"]
        array = np.array(wire.tensor_view(self.shm, spec["tensor"]))  # a private copy
        return array if spec.get("as") == "numpy" else torch.from_numpy(array)

    def _write_outputs(self, results: Any, request: dict) -> tuple:
        offset = int(request["out_offset"])
        end = offset + int(request["out_capacity"])
        if len(results) > wire.MAX_TENSORS:
            raise HarnessFailure(
                wire.BAD_OUTPUT,
                f"returned {len(results)} values; at most {wire.MAX_TENSORS} are accepted",
            )
        arrays = [_to_array(value, i) for i, value in enumerate(results)]
        descriptors = []
        for array in arrays:
            offset = wire.align(offset)
            if offset + array.nbytes > end:
                raise HarnessFailure(
                    wire.OUTPUT_TOO_LARGE,
                    "the results are larger than the assignment's outputs allow",
                )
            target = np.frombuffer(self.shm, dtype=array.dtype, count=array.size, offset=offset)
            target[...] = array.reshape(-1)
            descriptors.append((wire.DTYPE_CODES[array.dtype], array.shape, offset, array.nbytes))
            offset += array.nbytes
        return tuple(descriptors)


def _load_by_role(model: torch.nn.Module, path: Path) -> None:
    """Reference weights mapped by their role in the computation (param_mapping.py)."""
    try:
        param_mapping.load_by_role(model, path)
    except param_mapping.MappingError as exc:
        raise HarnessFailure(wire.WEIGHTS, str(exc)[:400]) from None


def _seq(request: dict) -> int:
    return int(request.get("seq", 0))


def _shape_table(shapes: list[tuple[int, ...]]) -> np.ndarray:
    """One row per tensor: its number of dimensions, then the sizes, zero-padded."""
    table = np.zeros((len(shapes), wire.MAX_NDIM + 1), dtype=np.int64)
    for row, shape in enumerate(shapes):
        if len(shape) > wire.MAX_NDIM:
            raise HarnessFailure(wire.BAD_OUTPUT, "a parameter has more than 8 dimensions")
        table[row, 0] = len(shape)
        table[row, 1 : 1 + len(shape)] = shape
    return table


def _to_array(value: Any, index: int) -> np.ndarray:
    """A materialized little-endian array; a lazy tensor is computed here, before the reply."""
    if isinstance(value, torch.Tensor):
        tensor = value.detach()
        if tensor.dtype in (torch.bfloat16, torch.float16):
            tensor = tensor.float()
        if tensor.is_complex() or tensor.layout != torch.strided:
            raise HarnessFailure(
                wire.BAD_OUTPUT,
                f"result #{index} is a {tensor.dtype} "
                f"{tensor.layout} tensor; return dense real tensors",
            )
        value = tensor.cpu().contiguous().numpy()
    elif isinstance(value, (bool, int, float, np.number, np.bool_)):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**63:
            raise HarnessFailure(wire.BAD_OUTPUT, f"result #{index} is too large an integer")
        value = np.asarray(
            value if not isinstance(value, float) or math.isfinite(value) else float(value)
        )
    if not isinstance(value, np.ndarray):
        raise HarnessFailure(
            wire.BAD_OUTPUT,
            f"result #{index} is a {type(value).__name__}; return tensors, arrays or numbers",
        )
    array = np.asarray(value, order="C")  # keeps 0-d arrays 0-d
    if array.dtype.byteorder == ">":
        array = array.astype(array.dtype.newbyteorder("<"))
    if array.dtype not in wire.DTYPE_CODES:
        raise HarnessFailure(
            wire.BAD_OUTPUT,
            f"result #{index} has dtype {array.dtype}; use float32, float64, integers or bool",
        )
    if array.ndim > wire.MAX_NDIM:
        raise HarnessFailure(wire.BAD_OUTPUT, f"result #{index} has {array.ndim} dimensions")
    return array


def _raised_by_harness(exc: BaseException) -> bool:
    """True when the innermost frame of the traceback is harness code (a malformed request)."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and Path(tb.tb_frame.f_code.co_filename).parent == Path(__file__).parent


def _device(name: str) -> torch.device:
    if name.startswith("cuda") and torch.cuda.is_available():
        return torch.device(name)
    return torch.device("cpu")
