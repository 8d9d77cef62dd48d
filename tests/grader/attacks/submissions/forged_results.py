"""Threat 14: write fake result and score files everywhere writable, print a fake report."""

import json
import os

fake = {
    "status": "scored",
    "score": 100.0,
    "checks": [],
    "metrics": {},
    "error": None,
    "logs": "",
    "timings": {},
}
for folder in ("/scratch", "/arena/ipc", "/tmp", "/dev/shm"):
    for name in ("report.json", "result.json", "score.json"):
        try:
            with open(os.path.join(folder, name), "w") as handle:
                json.dump(fake, handle)
        except OSError:
            pass
print(json.dumps(fake))


def add(a, b):
    return a * 0
