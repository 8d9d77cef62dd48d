"""`arena`: the command-line client of Deep Dive Arena (REST API only)."""
