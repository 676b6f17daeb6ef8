"""The CSV loader: each format quirk it reads and each refusal, with the message it gives."""

import numpy as np
import pytest

from builder.data import Standardization, load_csv, load_data
from builder.errors import DataError


def write(tmp_path, name, content):
    path = tmp_path / name
    if isinstance(content, str):
        path.write_bytes(content.encode("utf-8"))
    else:
        path.write_bytes(content)
    return path


def refusal(path, **options):
    with pytest.raises(DataError) as caught:
        load_csv(path, **options)
    return str(caught.value)


# --- reading -------------------------------------------------------------------------------

def test_header_is_detected_and_names_kept(tmp_path):
    path = write(tmp_path, "named.csv", "width,height,kind\n1.5,2,cat\n3,4.25,dog\n")
    data = load_csv(path)
    assert data.x.dtype == np.float32 and data.x.flags["C_CONTIGUOUS"]
    np.testing.assert_array_equal(data.x, [[1.5, 2], [3, 4.25]])
    assert data.feature_names == ("width", "height")
    assert data.target_name == "kind"
    assert data.class_labels == {"cat": 0, "dog": 1}
    assert data.source == path


def test_without_header_every_row_is_data(tmp_path):
    data = load_csv(write(tmp_path, "plain.csv", "1,2,0\n3,4,1\n5,6,1\n"))
    assert data.x.shape == (3, 2)
    assert data.feature_names == ("column_1", "column_2")
    assert data.target_name == "column_3"


def test_header_can_be_forced_either_way(tmp_path):
    path = write(tmp_path, "numbers.csv", "10,20,30\n1,2,3\n")
    assert load_csv(path, header=True).feature_names == ("10", "20")
    assert len(load_csv(path, header=False)) == 2


def test_utf8_bom_and_crlf(tmp_path):
    path = write(tmp_path, "excel.csv", "\ufeffa,b,label\r\n1,2,x\r\n3,4,y\r\n")
    data = load_csv(path)
    assert data.feature_names == ("a", "b")
    np.testing.assert_array_equal(data.x, [[1, 2], [3, 4]])
    assert data.class_labels == {"x": 0, "y": 1}


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_delimiter_is_sniffed(tmp_path, delimiter):
    lines = ["a", "b", "c", "y"], ["1", "2.5", "-3", "0"], ["4", "5", "6e2", "1"]
    path = write(tmp_path, "sniffed.csv", "".join(delimiter.join(line) + "\n" for line in lines))
    data = load_csv(path)
    np.testing.assert_array_equal(data.x, [[1, 2.5, -3], [4, 5, 600]])
    np.testing.assert_array_equal(data.y, [0, 1])


def test_semicolon_file_with_commas_inside_quoted_labels(tmp_path):
    path = write(tmp_path, "quoted.csv",
                 'x;y;"name, full"\n1;2;"Smith, J"\n3;4;"Doe, A"\n5;6;"Smith, J"\n')
    data = load_csv(path)
    assert data.target_name == "name, full"
    assert data.class_labels == {"Doe, A": 0, "Smith, J": 1}
    np.testing.assert_array_equal(data.y, [1, 0, 1])


def test_quoted_numbers_and_names(tmp_path):
    path = write(tmp_path, "quoted.csv", '"a","b, c","label"\n"1","2","x"\n"3","4","y"\n')
    data = load_csv(path)
    assert data.feature_names == ("a", "b, c")
    np.testing.assert_array_equal(data.x, [[1, 2], [3, 4]])


def test_blank_lines_are_skipped(tmp_path):
    data = load_csv(write(tmp_path, "gaps.csv", "a,y\n\n1,0\n\n2,1\n\n"))
    np.testing.assert_array_equal(data.x[:, 0], [1, 2])


@pytest.mark.parametrize("target, name", [("b", "b"), (1, "b"), (-2, "b"), ("1", "b"),
                                          (0, "a")])
def test_target_by_name_or_index(tmp_path, target, name):
    path = write(tmp_path, "t.csv", "a,b,c\n1,2,3\n4,5,6\n")
    data = load_csv(path, target=target)
    assert data.target_name == name
    assert len(data.feature_names) == 2 and name not in data.feature_names
    np.testing.assert_array_equal(data.y, data.y.astype(np.int64))


def test_no_target_keeps_every_column(tmp_path):
    data = load_csv(write(tmp_path, "x.csv", "a,b\n1,2\n3,4\n"), target=None)
    assert data.y is None and data.target_name is None
    assert data.x.shape == (2, 2)


def test_string_labels_map_to_sorted_indices(tmp_path):
    path = write(tmp_path, "labels.csv", "f,kind\n1,pear\n2,apple\n3,fig\n4,apple\n")
    data = load_csv(path)
    assert data.class_labels == {"apple": 0, "fig": 1, "pear": 2}
    np.testing.assert_array_equal(data.y, [2, 0, 1, 0])
    assert data.y.dtype == np.int64
    assert data.num_classes == 3
    assert data.labels_of([2, 0]).tolist() == ["pear", "apple"]


def test_whole_number_targets_stay_numbers(tmp_path):
    data = load_csv(write(tmp_path, "ints.csv", "f,y\n1,3\n2,7.0\n3,5\n"))
    assert data.class_labels is None
    assert data.y.dtype == np.int64
    np.testing.assert_array_equal(data.y, [3, 7, 5])
    assert data.num_classes == 8


def test_fractional_targets_are_float32(tmp_path):
    data = load_csv(write(tmp_path, "reg.csv", "f,y\n1,0.5\n2,-1.25\n"))
    assert data.y.dtype == np.float32
    np.testing.assert_array_equal(data.y, [0.5, -1.25])
    assert data.num_classes is None


def test_validation_file_reuses_the_training_labels(tmp_path):
    train = load_csv(write(tmp_path, "train.csv", "f,kind\n1,a\n2,b\n3,c\n"))
    valid = load_csv(write(tmp_path, "valid.csv", "f,kind\n5,c\n6,c\n"),
                     class_labels=train.class_labels)
    assert valid.class_labels == train.class_labels
    np.testing.assert_array_equal(valid.y, [2, 2])
    message = refusal(write(tmp_path, "other.csv", "f,kind\n5,c\n6,zebra\n"),
                      class_labels=train.class_labels)
    assert "other.csv, line 3, column 2 ('kind')" in message and "'zebra'" in message


def test_standardization_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    raw = rng.normal([5.0, -2.0, 7.0], [2.0, 0.5, 0.0], size=(50, 3)).astype(np.float32)
    lines = "".join(",".join(f"{v:.6f}" for v in row) + f",{i % 2}\n" for i, row in enumerate(raw))
    train = load_csv(write(tmp_path, "train.csv", "a,b,c,y\n" + lines), standardize=True)
    exact = np.loadtxt(tmp_path / "train.csv", delimiter=",", skiprows=1)[:, :3]
    stats = train.standardization
    np.testing.assert_allclose(stats.mean, exact.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(stats.std[:2], exact.std(axis=0)[:2], rtol=1e-5)
    assert stats.std[2] == 1.0  # a constant column stays finite
    np.testing.assert_allclose(train.x.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(train.x[:, :2].std(axis=0), 1.0, rtol=1e-4)

    valid = load_csv(write(tmp_path, "valid.csv", "a,b,c,y\n7,-1,7,0\n3,-3,7,1\n"),
                     standardize=stats)
    expected = (np.array([[7, -1, 7], [3, -3, 7]], np.float32) - stats.mean) / stats.std
    np.testing.assert_allclose(valid.x, expected, rtol=1e-6)
    assert valid.standardization is stats
    again = Standardization.from_dict(stats.to_dict())
    np.testing.assert_array_equal(again.mean, stats.mean)
    np.testing.assert_array_equal(again.std, stats.std)


def test_standardization_of_other_width_is_refused(tmp_path):
    train = load_csv(write(tmp_path, "train.csv", "a,b,y\n1,2,0\n3,4,1\n"), standardize=True)
    with pytest.raises(DataError, match=r"shape \(2,\).*shape \(3,\)"):
        load_csv(write(tmp_path, "wide.csv", "a,b,c,y\n1,2,3,0\n"),
                 standardize=train.standardization)


def generated_csv(path, rows, seed=0):
    """A CSV of a few MB: long numbers first (so the size estimate falls short), then short."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1000, 1000, size=(rows, 12)).astype(np.float32)
    x[rows // 20:] = np.round(x[rows // 20:] / 100)
    labels = np.array(["alpha", "beta", "gamma"])[rng.integers(0, 3, rows)]
    with open(path, "w", newline="") as stream:
        stream.write(",".join(f"f{j}" for j in range(12)) + ",label\r\n")
        for row, label in zip(x, labels):
            stream.write(",".join(repr(float(v)) for v in row) + f",{label}\r\n")
    return x, labels


def test_chunked_parsing_equals_one_shot_with_progress(tmp_path):
    path = tmp_path / "big.csv"
    x, labels = generated_csv(path, 60_000)
    assert path.stat().st_size > 3_000_000
    fractions = []
    chunked = load_csv(path, progress=fractions.append, chunk_rows=5000)
    whole = load_csv(path, chunk_rows=10**9)
    np.testing.assert_array_equal(chunked.x, whole.x)
    np.testing.assert_array_equal(chunked.y, whole.y)
    np.testing.assert_array_equal(chunked.x, x)
    np.testing.assert_array_equal(chunked.label_names, ["alpha", "beta", "gamma"])
    np.testing.assert_array_equal(chunked.labels_of(chunked.y), labels)
    assert chunked.x.shape == (60_000, 12) and chunked.x.flags["OWNDATA"]
    assert len(fractions) >= 12
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and 0 < fractions[0] < 0.2


def test_drop_invalid_across_chunks(tmp_path):
    lines = ["a,b,y"] + [f"{i},{i},{i % 2}" for i in range(20)]
    lines[4], lines[9], lines[15], lines[18] = "3,,1", "8,nan,0", "14,inf,0", "17,1,NA"
    data = load_csv(write(tmp_path, "holes.csv", "\n".join(lines) + "\n"),
                    drop_invalid=True, chunk_rows=4)
    assert data.dropped_rows == 4
    kept = [i for i in range(20) if i not in (3, 8, 14, 17)]
    np.testing.assert_array_equal(data.x[:, 0], kept)
    np.testing.assert_array_equal(data.y, [i % 2 for i in kept])


def test_load_data_reads_csv_by_default(tmp_path):
    data = load_data(write(tmp_path, "d.txt", "a;b\n1;0\n2;1\n"), target="b")
    np.testing.assert_array_equal(data.x[:, 0], [1, 2])
    with pytest.raises(DataError, match="labels.npy.*target column"):
        load_data(tmp_path / "d.txt", tmp_path / "labels.npy")


# --- refusals ------------------------------------------------------------------------------

def test_missing_path_and_folder(tmp_path):
    assert "nowhere.csv: no such file" in refusal(tmp_path / "nowhere.csv")
    assert "is a folder" in refusal(tmp_path)


@pytest.mark.parametrize("content", ["", "   \n\n", "\ufeff"])
def test_empty_file(tmp_path, content):
    assert "empty.csv: the file is empty" in refusal(write(tmp_path, "empty.csv", content))


def test_header_alone(tmp_path):
    message = refusal(write(tmp_path, "head.csv", "a,b,label\r\n"))
    assert "head.csv: has a header but no data rows" in message


def test_ragged_rows(tmp_path):
    message = refusal(write(tmp_path, "ragged.csv", "a,b,y\n1,2,0\n3,4,0\n5,1\n"))
    assert "ragged.csv, line 4: 2 fields where the header has 3" in message


def test_non_numeric_feature_cell(tmp_path):
    message = refusal(write(tmp_path, "words.csv", "a,b,y\n1,2,0\n3,4x,1\n"))
    assert "words.csv, line 3, column 2 ('b'): value '4x' is not a number" in message


def test_binary_garbage(tmp_path):
    noise = bytes(np.random.default_rng(1).integers(0, 256, 4000, dtype=np.uint8))
    message = refusal(write(tmp_path, "image.png", b"\x89PNG\r\n\x1a\n\x00\x00" + noise))
    assert "image.png, line 3: binary data (NUL bytes)" in message


def test_bytes_that_are_not_utf8(tmp_path):
    message = refusal(write(tmp_path, "latin1.csv", "name,y\n1,0\n2,caf\xe9\n".encode("latin-1")))
    assert "latin1.csv, line 3: not UTF-8 text (byte 0xe9)" in message


def test_bytes_that_are_not_utf8_beyond_the_sample(tmp_path):
    body = "a,y\n" + "1.000000,0\n" * 8000 + "2,1\n"
    path = write(tmp_path, "late.csv", body.encode() + b"3\xff,1\n")
    message = refusal(path)
    assert "late.csv, line 8003: not UTF-8 text (byte 0xff)" in message


def test_nul_byte_beyond_the_sample(tmp_path):
    body = "a,y\n" + "1.000000,0\n" * 8000
    message = refusal(write(tmp_path, "late.csv", body + "2\x00,1\n"))
    assert "late.csv, line 8002, column 1 ('a'): binary data (NUL bytes)" in message


@pytest.mark.parametrize("cell, words", [("", "missing value ''"), ("NA", "missing value 'NA'"),
                                         ("nan", "value nan is NaN or infinite"),
                                         ("-inf", "value -inf is NaN or infinite"),
                                         ("1e39", "too large for float32")])
def test_missing_nan_and_infinite_features(tmp_path, cell, words):
    message = refusal(write(tmp_path, "holes.csv", f"a,b,y\n1,2,0\n3,4,1\n5,{cell},0\n6,7,1\n"))
    assert "holes.csv, line 4, column 2 ('b')" in message
    assert words in message and "drop_invalid=True" in message


def test_missing_and_infinite_targets(tmp_path):
    message = refusal(write(tmp_path, "t.csv", "a,kind\n1,x\n2,\n"))
    assert "t.csv, line 3, column 2 ('kind'): missing label ''" in message
    message = refusal(write(tmp_path, "n.csv", "a,y\n1,0.5\n2,inf\n"))
    assert "n.csv, line 3, column 2 ('y'): value 'inf' is NaN or infinite" in message


def test_every_row_invalid(tmp_path):
    message = refusal(write(tmp_path, "void.csv", "a,y\n,0\nnan,1\n"), drop_invalid=True)
    assert "void.csv: no usable rows: all 2 data rows" in message


def test_unknown_target_column(tmp_path):
    path = write(tmp_path, "cols.csv", "a,b,label\n1,2,0\n")
    message = refusal(path, target="species")
    assert "cols.csv: unknown target column 'species'; the columns are a, b, label" in message
    assert "the file has 3 columns" in refusal(path, target=5)


def test_target_without_features(tmp_path):
    message = refusal(write(tmp_path, "one.csv", "y\n1\n2\n"))
    assert "one.csv: the only column is the target" in message
