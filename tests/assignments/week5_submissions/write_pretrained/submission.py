"""Attack upload for week 5: tries to change the mounted backbones, then gives up.

Each attempt prints ``[probe] <what>: <errno name>`` (or ``WROTE`` if it worked) to the public
stage's log; the builders then raise, so grading ends quickly.
"""

import errno
import os

FOLDER = os.environ.get("ARENA_PRETRAINED", "")
TARGET = os.path.join(FOLDER, "mobilenet_v2_imagenet.safetensors")


def probe(what, action):
    try:
        action()
    except OSError as exc:
        print(f"[probe] {what}: {errno.errorcode.get(exc.errno, exc.errno)}", flush=True)
    else:
        print(f"[probe] {what}: WROTE", flush=True)


def overwrite():
    with open(TARGET, "r+b") as handle:
        handle.write(b"\0" * 64)


def create():
    with open(os.path.join(FOLDER, "planted.safetensors"), "wb") as handle:
        handle.write(b"x")


print(f"[probe] folder: {FOLDER} {sorted(os.listdir(FOLDER)) if FOLDER else None}", flush=True)
probe("overwrite", overwrite)
probe("truncate", lambda: os.truncate(TARGET, 0))
probe("create", create)
probe("unlink", lambda: os.unlink(TARGET))
probe("rename", lambda: os.rename(TARGET, TARGET + ".old"))
probe("chmod", lambda: os.chmod(TARGET, 0o666))
probe("mkdir", lambda: os.mkdir(os.path.join(FOLDER, "sub")))


def build_classifier():
    raise RuntimeError("probe done")


def build_localizer():
    raise RuntimeError("probe done")
