import logging
import os
import sys

from grader.cli import main

code = main()
# Everything is written and torn down by now (the report, the sandboxes, the temporary folders);
# the interpreter's own teardown with torch loaded would only keep the worker waiting ~1 s.
logging.shutdown()
for stream in (sys.stdout, sys.stderr):
    try:
        stream.flush()
    except (OSError, ValueError):
        pass
os._exit(code)
