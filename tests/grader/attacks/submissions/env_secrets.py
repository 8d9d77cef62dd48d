"""Threat 5: secrets in the environment (the test puts a fake one in the worker's)."""

import os

for name, value in os.environ.items():
    if "s3cr3t" in value or "SECRET" in name or "BROKER" in name or "DATABASE" in name:
        print(f"ESCAPED: {name}={value}")


def add(a, b):
    return a + b
