"""Threats 13 and 19: write outside scratch (harness, submission, inputs, host paths)."""

for path in (
    "/arena/harness/arena_harness/server.py",
    "/arena/harness/pwned.py",
    "/arena/submission/pwned.txt",
    "/arena/inputs/pwned.txt",
    "/pwned.txt",
    "/usr/pwned.txt",
    "/work/main/pwned.txt",
    "/work/main/.venv/pwned.txt",
    "/etc/pwned.txt",
):
    try:
        with open(path, "a") as handle:
            handle.write("pwned")
        print(f"ESCAPED: wrote {path}")
    except OSError:
        pass
with open("/scratch/allowed.txt", "w") as handle:  # scratch is writable, and private
    handle.write("fine")


def add(a, b):
    return a + b
