"""The NumPy loaders: x.npy with y.npy, one .npz, never a pickle, and each refusal's message."""

import numpy as np
import pytest

from builder.data import load_data, load_npy, load_npz
from builder.errors import DataError


def refusal(load, *args, **options):
    with pytest.raises(DataError) as caught:
        load(*args, **options)
    return str(caught.value)


@pytest.fixture
def arrays():
    rng = np.random.default_rng(0)
    return rng.normal(size=(6, 4)), rng.integers(0, 3, 6)


def test_x_and_y_files(tmp_path, arrays):
    x, y = arrays
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y.astype(np.int32))
    data = load_npy(tmp_path / "x.npy", tmp_path / "y.npy")
    assert data.x.dtype == np.float32 and data.x.flags["C_CONTIGUOUS"]
    np.testing.assert_array_equal(data.x, x.astype(np.float32))
    assert data.y.dtype == np.int64
    np.testing.assert_array_equal(data.y, y)
    assert data.source == tmp_path / "x.npy"
    assert data.feature_names == ("column_1", "column_2", "column_3", "column_4")


def test_x_alone_and_images_keep_their_shape(tmp_path):
    np.save(tmp_path / "images.npy", np.zeros((3, 8, 8, 1), np.uint8))
    data = load_npy(tmp_path / "images.npy")
    assert data.y is None and data.x.shape == (3, 8, 8, 1) and data.x.dtype == np.float32


def test_npz_with_x_and_y(tmp_path, arrays):
    x, y = arrays
    np.savez(tmp_path / "set.npz", x=x, y=np.eye(3)[y])
    data = load_npz(tmp_path / "set.npz")
    np.testing.assert_array_equal(data.x, x.astype(np.float32))
    assert data.y.dtype == np.float32 and data.y.shape == (6, 3)


def test_npz_without_y(tmp_path, arrays):
    np.savez_compressed(tmp_path / "features.npz", x=arrays[0])
    assert load_npz(tmp_path / "features.npz").y is None


def test_string_labels_map_to_sorted_indices(tmp_path):
    np.save(tmp_path / "x.npy", np.arange(8.0).reshape(4, 2))
    np.save(tmp_path / "y.npy", np.array(["dog", "cat", "emu", "cat"]))
    data = load_npy(tmp_path / "x.npy", tmp_path / "y.npy")
    assert data.class_labels == {"cat": 0, "dog": 1, "emu": 2}
    np.testing.assert_array_equal(data.y, [1, 0, 2, 0])
    np.save(tmp_path / "y2.npy", np.array(["emu", "emu", "dog", "cat"]))
    same = load_npy(tmp_path / "x.npy", tmp_path / "y2.npy",
                    class_labels={"cat": 0, "dog": 1, "emu": 2, "yak": 3})
    np.testing.assert_array_equal(same.y, [2, 2, 1, 0])
    np.save(tmp_path / "y3.npy", np.array(["cat", "cat", "gnu", "cat"]))
    message = refusal(load_npy, tmp_path / "x.npy", tmp_path / "y3.npy",
                      class_labels=data.class_labels)
    assert "y3.npy, row 2: label 'gnu' is not one of the training labels" in message


def test_load_data_dispatches_on_the_suffix(tmp_path, arrays):
    x, y = arrays
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    np.savez(tmp_path / "both.npz", x=x, y=y)
    fractions = []
    by_files = load_data(tmp_path / "x.npy", tmp_path / "y.npy", standardize=True,
                         progress=fractions.append)
    by_archive = load_data(tmp_path / "both.npz")
    np.testing.assert_array_equal(by_files.y, by_archive.y)
    np.testing.assert_allclose(by_files.x.mean(axis=0), 0.0, atol=1e-6)
    assert fractions == [1.0]
    message = refusal(load_data, tmp_path / "both.npz", tmp_path / "y.npy")
    assert "y.npy: a .npz file such as" in message and "both.npz" in message


def test_pickled_object_array(tmp_path):
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}, None], dtype=object),
            allow_pickle=True)
    message = refusal(load_npy, tmp_path / "objects.npy")
    assert "objects.npy: holds pickled Python objects" in message
    assert "allow_pickle=False" in message


def test_pickled_member_of_an_archive(tmp_path):
    np.savez(tmp_path / "mixed.npz", x=np.ones((2, 2)), y=np.array([None, 1], dtype=object))
    message = refusal(load_npz, tmp_path / "mixed.npz")
    assert "mixed.npz (array 'y'): holds pickled Python objects" in message


def test_a_plain_pickle_is_not_an_npy_file(tmp_path):
    import pickle

    (tmp_path / "evil.npy").write_bytes(pickle.dumps([1, 2, 3]))
    assert "evil.npy: is not a NumPy .npy file" in refusal(load_npy, tmp_path / "evil.npy")


@pytest.mark.parametrize("keep", [50, 200])
def test_truncated_npy(tmp_path, keep):
    np.save(tmp_path / "whole.npy", np.arange(100, dtype=np.float32).reshape(10, 10))
    (tmp_path / "cut.npy").write_bytes((tmp_path / "whole.npy").read_bytes()[:keep])
    message = refusal(load_npy, tmp_path / "cut.npy")
    assert "cut.npy: the file is truncated or corrupt" in message


def test_truncated_y_file(tmp_path, arrays):
    np.save(tmp_path / "x.npy", arrays[0])
    np.save(tmp_path / "y.npy", arrays[1])
    data = (tmp_path / "y.npy").read_bytes()
    (tmp_path / "y.npy").write_bytes(data[:len(data) - 8])
    message = refusal(load_npy, tmp_path / "x.npy", tmp_path / "y.npy")
    assert "y.npy: the file is truncated or corrupt" in message


def test_truncated_npz(tmp_path, arrays):
    np.savez(tmp_path / "whole.npz", x=arrays[0], y=arrays[1])
    data = (tmp_path / "whole.npz").read_bytes()
    (tmp_path / "cut.npz").write_bytes(data[:len(data) // 2])
    assert "cut.npz: the file is truncated or corrupt" in refusal(load_npz, tmp_path / "cut.npz")


def test_npz_without_x(tmp_path):
    np.savez(tmp_path / "named.npz", features=np.ones((2, 2)), labels=np.zeros(2))
    message = refusal(load_npz, tmp_path / "named.npz")
    assert "named.npz: holds no array named 'x' (it holds features, labels)" in message
    assert "truncated" not in message


def test_rows_of_x_and_y_differ(tmp_path):
    np.save(tmp_path / "x.npy", np.ones((5, 2)))
    np.save(tmp_path / "y.npy", np.zeros(4))
    message = refusal(load_npy, tmp_path / "x.npy", tmp_path / "y.npy")
    assert "x.npy and" in message and "y.npy: x has 5 rows but y has 4" in message


def test_nan_and_infinite_values(tmp_path):
    x = np.arange(12.0).reshape(4, 3)
    x[2, 1] = np.nan
    x[3, 0] = np.inf
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", np.arange(4))
    message = refusal(load_npy, tmp_path / "x.npy", tmp_path / "y.npy")
    assert "x.npy, row 2, feature 1: value nan is NaN or infinite" in message
    data = load_npy(tmp_path / "x.npy", tmp_path / "y.npy", drop_invalid=True)
    assert data.dropped_rows == 2
    np.testing.assert_array_equal(data.y, [0, 1])
    np.save(tmp_path / "yf.npy", np.array([0.5, np.nan, 1.0, 2.0]))
    message = refusal(load_npy, tmp_path / "x.npy", tmp_path / "yf.npy")
    assert "yf.npy, row 1: target nan is NaN or infinite" in message


def test_values_beyond_float32(tmp_path):
    np.save(tmp_path / "x.npy", np.array([[1.0], [1e300]]))
    assert "too large for float32" in refusal(load_npy, tmp_path / "x.npy")


@pytest.mark.parametrize("array, words", [(np.float64(3.0), "holds a single value"),
                                          (np.zeros((0, 3)), "holds no rows"),
                                          (np.array(["a", "b"]), "holds <U1 values, not numbers")])
def test_unusable_feature_arrays(tmp_path, array, words):
    np.save(tmp_path / "x.npy", array)
    assert f"x.npy: {words}" in refusal(load_npy, tmp_path / "x.npy")


@pytest.mark.parametrize("load", [load_npy, load_npz])
def test_missing_empty_and_folder_paths(tmp_path, load):
    assert "ghost.npy: no such file" in refusal(load, tmp_path / "ghost.npy")
    assert "is a folder" in refusal(load, tmp_path)
    (tmp_path / "empty.npz").write_bytes(b"")
    assert "empty.npz: the file is empty" in refusal(load, tmp_path / "empty.npz")
