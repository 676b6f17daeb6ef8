"""Data for training: CSV and NumPy loaders, the bundled datasets, and fitting data to a model.

    from builder.data import load_csv, split_validation
    train = load_csv("train.csv", target="species", standardize=True)
    test = load_csv("test.csv", target="species", class_labels=train.class_labels,
                    standardize=train.standardization)

Every refusal is a DataError naming the file and, where it applies, the line, column and value.
"""

from .bundled import bundled_path, load_bundled
from .csv_loader import load_csv
from .dataset import Dataset, Standardization
from .loader import load_data
from .npy_loader import load_npy, load_npz
from .shapes import check_class_indices, one_hot, reshape_features, split_validation

__all__ = [
    "Dataset", "Standardization", "load_data", "load_csv", "load_npy", "load_npz",
    "load_bundled", "bundled_path", "reshape_features", "check_class_indices", "one_hot",
    "split_validation",
]
