"""The internal API workers on other machines fetch their grading inputs from, by SHA-256.

Not for mentees or mentors: it answers only the worker token (ARENA_WORKER_TOKEN) and is off
(404) where none is configured. See docs/deployment.md.
"""
