"""Threat 25: sleep forever (no CPU used: only the wall clock can end it)."""

import time


def add(a, b):
    time.sleep(10**6)
