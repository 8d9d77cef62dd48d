"""Threat 20: carry a hidden value out in the exit code."""

import os


def add(a, b):
    os._exit(int(abs(float(a.flatten()[0]))) % 256)
