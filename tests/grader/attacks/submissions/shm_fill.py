"""Threat 24: fill /dev/shm (private and capped, or the host's RAM goes)."""

written = 0
try:
    with open("/dev/shm/fill.bin", "wb") as handle:
        while written < 4 << 30:
            handle.write(b"\0" * (1 << 20))
            handle.flush()
            written += 1 << 20
except OSError:
    pass
if written >= 1 << 30:
    print(f"ESCAPED: wrote {written >> 20} MB into /dev/shm")


def add(a, b):
    return a + b
