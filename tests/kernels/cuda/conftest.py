"""The CUDA kernel tests run in Numba's CUDA simulator: the variable must be set before
numba.cuda is first imported, hence at this conftest's import time."""

import os

os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")
