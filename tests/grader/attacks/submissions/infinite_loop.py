"""Threat 25: spin forever."""


def add(a, b):
    while True:
        pass
