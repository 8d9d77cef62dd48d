def add(a, b):
    return a + b


def scale(x, factor):
    return x * factor


def row_sums(m):
    return m.sum(axis=1)
