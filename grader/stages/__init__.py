"""Sandboxed runs of the harness: the part's context, the session, and stage failures."""
