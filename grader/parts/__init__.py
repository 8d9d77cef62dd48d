"""One module per part kind (functions, model, train, architecture) and the stage runner."""
