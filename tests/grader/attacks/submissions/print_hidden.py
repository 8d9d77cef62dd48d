"""Threat 20: print the hidden inputs (they must never reach a report a mentee reads)."""

import numpy as np


def add(a, b):
    np.set_printoptions(precision=8, suppress=True)
    print("HIDDEN-INPUT", a.tolist(), b.tolist())
    return a + b
