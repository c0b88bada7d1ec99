"""What the bundle tests share (a module of its own: conftest modules collide across folders)."""

#: a small ALS that separates the tiny store's three taste groups
SMALL = dict(factors=8, iterations=10, regularization=0.1, num_threads=1)
