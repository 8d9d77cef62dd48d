"""The folder mounted read-only at ``/arena/harness`` in every sandbox (``PYTHONPATH``).

It holds one package, ``arena_harness``, run there as ``python -m arena_harness``. The
trusted side imports only its byte layout (``grader.harness.arena_harness.wire``).
"""
