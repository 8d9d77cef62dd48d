"""Real data, generators, importers and the hidden-data builder of Deep Dive Arena."""
