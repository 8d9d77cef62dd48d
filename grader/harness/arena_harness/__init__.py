"""The model server that runs INSIDE the sandbox, next to the mentee's code.

Lives in the folder mounted read-only at ``/arena/harness`` and runs as ``python -m arena_harness``.
It may import only the standard library, numpy, torch and safetensors: nothing from the
trusted side. It answers the trusted side's requests over a Unix socket and exchanges tensors
through a shared-memory file; it never decides a score.
"""
