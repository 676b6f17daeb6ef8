"""The bundled datasets, the Dataset's label helpers, and fitting data to a model's input."""

import numpy as np
import pytest

from builder.data import (Dataset, bundled_path, check_class_indices, load_bundled, one_hot,
                          reshape_features, split_validation)
from builder.errors import ConfigError, DataError


def test_digits():
    data = load_bundled("digits")
    assert data.x.shape == (1797, 64) and data.x.dtype == np.float32
    assert data.x.min() == 0 and data.x.max() == 16
    assert data.feature_names[:2] == ("pixel_0_0", "pixel_0_1")
    assert data.feature_names[-1] == "pixel_7_7" and data.target_name == "digit"
    assert data.class_labels is None and data.y.dtype == np.int64
    assert data.num_classes == 10
    counts = np.bincount(data.y)
    assert len(counts) == 10 and counts.min() >= 170


def test_iris():
    data = load_bundled("iris")
    assert data.x.shape == (150, 4)
    assert data.feature_names == ("sepal_length", "sepal_width", "petal_length", "petal_width")
    assert data.class_labels == {"setosa": 0, "versicolor": 1, "virginica": 2}
    np.testing.assert_array_equal(np.bincount(data.y), [50, 50, 50])
    np.testing.assert_allclose(data.x.mean(axis=0), [5.843, 3.057, 3.758, 1.199], atol=1e-3)


def test_bundled_files_and_their_readme():
    path = bundled_path("iris")
    assert path.is_file() and path.parent.name == "datasets"
    readme = (path.parent / "README.md").read_text(encoding="utf-8")
    assert "CC BY 4.0" in readme and "UCI Machine Learning Repository" in readme
    assert "unknown bundled dataset 'mnist'; available: digits, iris" in str(
        pytest.raises(DataError, bundled_path, "mnist").value)


def test_bundled_options_reach_the_loader():
    data = load_bundled("iris", standardize=True)
    np.testing.assert_allclose(data.x.mean(axis=0), 0.0, atol=1e-5)


def test_labels_of_reads_predictions_as_labels():
    data = load_bundled("iris")
    assert data.label_names == ["setosa", "versicolor", "virginica"]
    assert data.labels_of(np.array([2, 0])).tolist() == ["virginica", "setosa"]
    with pytest.raises(DataError, match="class index 3 is outside the 3 labels"):
        data.labels_of([3])


def test_reshape_flat_rows_to_the_model_input():
    x = np.arange(2 * 784, dtype=np.float32).reshape(2, 784)
    images = reshape_features(x, (28, 28, 1))
    assert images.shape == (2, 28, 28, 1) and np.shares_memory(images, x)
    assert images[1, 0, 1, 0] == 785
    assert reshape_features(x, (784,)) is x
    assert reshape_features(np.zeros((2, 5, 3)), (None, 3)).shape == (2, 5, 3)


def test_reshape_refuses_other_sizes():
    with pytest.raises(DataError) as caught:
        reshape_features(np.zeros((2, 784)), (28, 28, 3), source="train.csv")
    message = str(caught.value)
    assert "train.csv" in message and "(784,)" in message and "(28, 28, 3)" in message
    assert "784 values" in message and "2352 values" in message
    with pytest.raises(DataError, match=r"shape \(5, 4\) per row do not fit .* \(None, 3\)"):
        reshape_features(np.zeros((2, 5, 4)), (None, 3))


def test_one_hot():
    encoded = one_hot(np.array([2, 0, 1]), 3)
    assert encoded.dtype == np.float32
    np.testing.assert_array_equal(encoded, np.eye(3)[[2, 0, 1]])
    assert one_hot(encoded, 3) is encoded
    np.testing.assert_array_equal(one_hot(np.array([1.0, 0.0]), 2), [[0, 1], [1, 0]])


@pytest.mark.parametrize("labels, words", [([0, 3, 1], "row 1: label 3 is outside the 3 classes"),
                                           ([0, -1], "row 1: label -1 is outside"),
                                           ([0.5], "row 0: label 0.5 is not a class index")])
def test_labels_the_output_layer_cannot_represent(labels, words):
    with pytest.raises(DataError) as caught:
        one_hot(np.array(labels), 3, source="digits.csv")
    assert str(caught.value).startswith("digits.csv, ") and words in str(caught.value)
    with pytest.raises(DataError, match="can represent"):
        check_class_indices(np.array([9, 10]), 10)


def test_split_validation_is_seeded_and_disjoint():
    data = load_bundled("iris")
    train, valid = split_validation(data, 0.2, seed=3)
    assert (len(train), len(valid)) == (120, 30)
    assert train.class_labels == data.class_labels and valid.source == data.source
    rows = np.concatenate([train.x, valid.x])
    assert len(np.unique(rows, axis=0)) == len(np.unique(data.x, axis=0))
    again, _ = split_validation(data, 0.2, seed=3)
    np.testing.assert_array_equal(again.x, train.x)
    other, _ = split_validation(data, 0.2, seed=4)
    assert not np.array_equal(other.x, train.x)


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1, True, "0.2"])
def test_split_validation_refuses_bad_fractions(fraction):
    with pytest.raises(ConfigError, match="invalid validation fraction"):
        split_validation(load_bundled("iris"), fraction)


def test_split_validation_needs_enough_rows():
    tiny = Dataset(np.zeros((1, 2), np.float32), np.zeros(1, np.int64), source="one.csv")
    with pytest.raises(DataError, match="one.csv: 1 rows are too few"):
        split_validation(tiny, 0.5)
