"""Grid sizes for the launch functions."""

THREADS_1D = 128


def blocks_for(n, threads=THREADS_1D):
    """Blocks of `threads` covering n elements (at least one)."""
    return max(1, (n + threads - 1) // threads)
