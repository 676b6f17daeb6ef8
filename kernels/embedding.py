"""Embedding lookup: a gather of table rows forward, a scatter-add into the table's gradient
backward. Indices arrive as integer-valued float32 (the engine feeds float arrays)."""

from numba import njit


@njit(cache=True, nogil=True)
def embedding_indices(x, vocabulary, ids):
    """ids = int(x) for every value; returns the position of the first value outside
    [0, vocabulary) (NaN included), or -1 when all are valid."""
    for n in range(x.shape[0]):
        v = x[n]
        if not (v >= 0.0 and v < vocabulary):
            return n
        ids[n] = int(v)
    return -1


@njit(cache=True, nogil=True)
def embedding_forward(ids, table, out):
    """out[n] = table[ids[n]]; ids must be valid (see `embedding_indices`)."""
    dim = table.shape[1]
    for n in range(ids.shape[0]):
        row = ids[n]
        for d in range(dim):
            out[n, d] = table[row, d]


@njit(cache=True, nogil=True)
def embedding_backward(ids, dy, dtable):
    """dtable = 0, then dtable[ids[n]] += dy[n] (repeated indices accumulate)."""
    dtable[:] = 0.0
    dim = dtable.shape[1]
    for n in range(ids.shape[0]):
        row = ids[n]
        for d in range(dim):
            dtable[row, d] += dy[n, d]
