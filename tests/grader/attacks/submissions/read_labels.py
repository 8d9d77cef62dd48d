"""Threats 2 and 3: find hidden labels, other submissions or the worker's files on disk."""

import os
import sys

# The Python runtime is visible read-only on purpose (its libraries have files named like these).
# Both spellings: in the offline Docker image /tmp links to /scratch, so a checkout in /tmp
# shows its runtime under both names.
_RUNTIME_DIRS = {sys.prefix, sys.base_prefix, *(p for p in sys.path if "site-packages" in p)}
RUNTIME = tuple({*_RUNTIME_DIRS, *(os.path.realpath(p) for p in _RUNTIME_DIRS)})
FOUND = []
for root in ("/", "/work", "/tmp", "/var", "/root", "/home", "/srv", "/arena"):
    for dirpath, dirnames, filenames in os.walk(root):
        if dirpath.startswith(("/proc", "/sys", "/dev", "/usr", "/lib", "/etc") + RUNTIME):
            dirnames[:] = []
            continue
        for name in filenames:
            if name in (
                "labels.npz",
                "public_labels.npz",
                "manifest.json",
                "grade.py",
                "db.sqlite3",
                "assignment.toml",
                "settings.py",
            ) or name.endswith(".sqlite3"):
                FOUND.append(os.path.join(dirpath, name))
for path in (
    "/work/main/var/hidden",
    "/work/main/grader/grading.py",
    "/etc/shadow",
    "/root/.bashrc",
    "/work/main/platform/manage.py",
):
    try:
        with open(path, "rb") as handle:
            handle.read(1)
        FOUND.append(path)
    except OSError:
        pass
for path in FOUND:
    print(f"ESCAPED: could read {path}")


def add(a, b):
    return a + b
