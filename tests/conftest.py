import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("KERAS_BACKEND", "torch")
# Numba reads this once, when numba is first imported, so it is set here, before any test
# module imports it: the CUDA kernel tests then run in the simulator. NUMBA_ENABLE_CUDASIM=0
# in the environment runs them on a real GPU instead.
os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")
sys.path.insert(0, str(Path(__file__).parent))
