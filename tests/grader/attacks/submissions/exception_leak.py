"""Threat 20: carry a hidden input out in an exception message."""


def add(a, b):
    raise ValueError(f"HIDDEN-INPUT {a.tolist()}")
