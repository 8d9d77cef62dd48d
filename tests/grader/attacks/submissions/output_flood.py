"""Threat 26: flood stdout and stderr, then answer correctly."""

import sys

chunk = "flood " * 10_000
for _ in range(2_000):
    sys.stdout.write(chunk)
    sys.stderr.write(chunk)


def add(a, b):
    return a + b
