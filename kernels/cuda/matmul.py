"""Tiled shared-memory matrix product c = op(a) @ op(b), op transposing on request.

Each block computes one TILE x TILE tile of c, staging TILE x TILE tiles of a and b in
shared memory so each global element is read once per tile instead of once per product.
The transposes are read through the indexing, so dense backward (x^T dz, dz W^T) needs no
transposed copies.
"""

import numpy as np
from numba import cuda, float32

TILE = 16


@cuda.jit
def _matmul_kernel(a, b, c, trans_a, trans_b):
    sa = cuda.shared.array((TILE, TILE), float32)
    sb = cuda.shared.array((TILE, TILE), float32)
    tx = cuda.threadIdx.x
    ty = cuda.threadIdx.y
    row = cuda.blockIdx.y * TILE + ty
    col = cuda.blockIdx.x * TILE + tx
    m, n = c.shape
    k = a.shape[0] if trans_a else a.shape[1]
    acc = float32(0.0)
    for t in range((k + TILE - 1) // TILE):
        ka = t * TILE + tx
        kb = t * TILE + ty
        if row < m and ka < k:
            sa[ty, tx] = a[ka, row] if trans_a else a[row, ka]
        else:
            sa[ty, tx] = float32(0.0)
        if col < n and kb < k:
            sb[ty, tx] = b[col, kb] if trans_b else b[kb, col]
        else:
            sb[ty, tx] = float32(0.0)
        cuda.syncthreads()
        for j in range(TILE):
            acc += sa[ty, j] * sb[j, tx]
        cuda.syncthreads()
    if row < m and col < n:
        c[row, col] = acc


def matmul(a, b, c, trans_a=False, trans_b=False):
    """c (m, n) = op(a) @ op(b) for 2-D float32 arrays; c is overwritten."""
    m, n = c.shape
    grid = ((n + TILE - 1) // TILE, (m + TILE - 1) // TILE)
    _matmul_kernel[grid, (TILE, TILE)](a, b, c, np.bool_(trans_a), np.bool_(trans_b))
