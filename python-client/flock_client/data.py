"""A silo's own examples, read from the same files a Node silo (`flockctl client --data`) accepts.

- a directory holding an MNIST IDX pair (`*images*idx3*` and `*labels*idx1*`, e.g. train-images-idx3-ubyte), or two
  pairs, one of them a test split (`t10k-*` or `*test*`): that one is never trained on, only evaluated on;
- a CSV file with a header, a `label` column (0-9) and 784 pixel columns (0-255), like Kaggle's mnist_train.csv;
- for a federation whose devices bring their own tabular data: a CSV file with the federation's feature and label
  columns, split into training and held-out examples the way the Node silo splits it (seeded by the device id).
"""

from __future__ import annotations

import csv
import os
import re
import struct
from dataclasses import dataclass
from typing import Optional

import numpy as np

from .wire import Mulberry32, seed_from_text

MNIST_SIDE = 28
NUM_CLASSES = 10
_TEST_SPLIT = re.compile(r"^t10k|test", re.IGNORECASE)


class DataRefused(Exception):
    """The data cannot be used; the message says why and what to do, for the person running the silo."""


@dataclass
class Examples:
    """Inputs as the models take them (float32 NHWC, pixels / 255, or raw tabular features) and class ids."""

    x: np.ndarray
    labels: np.ndarray
    file: str

    @property
    def count(self) -> int:
        return int(self.labels.shape[0])

    @property
    def input_shape(self) -> tuple:
        return tuple(int(d) for d in self.x.shape[1:])


@dataclass
class LocalData:
    train: Examples
    test: Optional[Examples]
    num_classes: int


def load_silo_data(path: str, dataset: Optional[dict], split_seed: str) -> LocalData:
    """The silo's examples for a federation whose dataset config is `dataset` (None when the coordinator cannot say)."""
    if not os.path.exists(path):
        raise DataRefused(f"{path} does not exist: pass --data an MNIST IDX directory or a CSV file")
    if dataset is None or dataset.get("kind") != "device":
        return load_local_data(path)
    schema = dataset["schema"]
    if schema.get("type") != "csv":
        raise DataRefused(
            f"the federation takes {schema.get('width')}x{schema.get('height')} images, which the Python client does not "
            "read yet: import them on the device page of a browser tab"
        )
    columns = [*schema["features"], schema["label"]]
    if os.path.isdir(path):
        raise DataRefused(f"{path}: this federation takes a CSV file with the columns {', '.join(columns)}")
    data = parse_schema_csv(path, schema)
    train, test = split_local(data, float(dataset.get("testFraction", 0.2)), split_seed)
    name = os.path.basename(path)
    return LocalData(
        train=Examples(train.x, train.labels, name),
        test=Examples(test.x, test.labels, f"{name} (held out)") if test is not None else None,
        num_classes=len(schema["classes"]),
    )


def load_local_data(path: str) -> LocalData:
    if os.path.isdir(path):
        return _load_idx_directory(path)
    if path.lower().endswith(".csv"):
        return LocalData(train=_parse_mnist_csv(path), test=None, num_classes=NUM_CLASSES)
    raise DataRefused(f"{path}: expected a directory with an MNIST IDX pair or a .csv file with a label column")


def describe_local_data(data: LocalData) -> str:
    """'training on train-images-idx3-ubyte (60,000 examples), evaluating locally on t10k-images-idx3-ubyte (10,000)'."""
    evaluating = (
        f", evaluating locally on {data.test.file} ({data.test.count:,})" if data.test else ", no local evaluation set"
    )
    return f"training on {data.train.file} ({data.train.count:,} examples){evaluating}"


def _load_idx_directory(directory: str) -> LocalData:
    train, test = _idx_pairs(directory, sorted(os.listdir(directory)))
    return LocalData(
        train=_load_idx_pair(directory, *train),
        test=_load_idx_pair(directory, *test) if test else None,
        num_classes=NUM_CLASSES,
    )


def _idx_pairs(directory: str, names: list) -> tuple:
    """The training (images, labels) pair and the test pair, if any, matched by what precedes images/labels."""
    images = [n for n in names if re.search(r"images.*idx3", n)]
    labels = [n for n in names if re.search(r"labels.*idx1", n)]
    pairs = []
    for image in images:
        prefix = image[: image.index("images")]
        match = next((n for n in labels if n[: n.index("labels")] == prefix), None)
        if match:
            pairs.append((image, match))
    if not pairs and len(images) == 1 and len(labels) == 1:
        pairs = [(images[0], labels[0])]  # one image file and one label file are a pair whatever their names
    if not pairs:
        raise DataRefused(f"{directory}: no IDX pair (*images*idx3* and *labels*idx1*) found")
    if len(pairs) == 1:
        return pairs[0], None
    tests = [p for p in pairs if _TEST_SPLIT.search(p[0])]
    trains = [p for p in pairs if not _TEST_SPLIT.search(p[0])]
    if len(trains) == 1 and len(tests) == 1:
        return trains[0], tests[0]
    raise DataRefused(
        f"{directory}: {len(pairs)} IDX pairs ({', '.join(p[0] for p in pairs)}); "
        "keep one training pair and at most one test pair (t10k-* or *test*)"
    )


def _load_idx_pair(directory: str, images: str, labels: str) -> Examples:
    with open(os.path.join(directory, images), "rb") as f:
        image_bytes = f.read()
    with open(os.path.join(directory, labels), "rb") as f:
        label_bytes = f.read()
    if len(image_bytes) < 16 or struct.unpack(">I", image_bytes[:4])[0] != 0x803:
        raise DataRefused(f"{images} is not an IDX image file (its first bytes are not the IDX image magic)")
    count, rows, cols = struct.unpack(">III", image_bytes[4:16])
    if len(image_bytes) != 16 + count * rows * cols:
        raise DataRefused(f"{images} has {len(image_bytes)} bytes, its header says {16 + count * rows * cols}")
    if len(label_bytes) < 8 or struct.unpack(">I", label_bytes[:4])[0] != 0x801:
        raise DataRefused(f"{labels} is not an IDX label file (its first bytes are not the IDX label magic)")
    label_count = struct.unpack(">I", label_bytes[4:8])[0]
    if label_count != count or len(label_bytes) != 8 + count:
        raise DataRefused(f"{images} holds {count} images but {labels} has {len(label_bytes) - 8} labels")
    pixels = np.frombuffer(image_bytes, dtype=np.uint8, offset=16).reshape(count, rows, cols, 1)
    return _checked_images(pixels, np.frombuffer(label_bytes, dtype=np.uint8, offset=8), images)


def _parse_mnist_csv(path: str) -> Examples:
    size = MNIST_SIDE * MNIST_SIDE
    with open(path, newline="") as f:
        rows = [row for row in csv.reader(f) if any(cell.strip() for cell in row)]
    header = [h.strip().lower() for h in rows[0]] if rows else []
    if "label" not in header:
        raise DataRefused(f"{path}: the CSV needs a header row with a \"label\" column")
    if len(header) != size + 1:
        raise DataRefused(f"{path}: the CSV needs a label and {size} pixel columns, it has {len(header)} columns")
    label_column = header.index("label")
    try:
        table = np.array(rows[1:], dtype=np.float64)
    except ValueError:
        raise DataRefused(f"{path}: every cell below the header must be a whole number from 0 to 255") from None
    if table.ndim != 2 or table.shape[1] != len(header):
        raise DataRefused(f"{path}: every row needs {len(header)} values, as many as the header has columns")
    bad = np.argwhere((table != np.round(table)) | (table < 0) | (table > 255))
    if len(bad):
        row, col = bad[0]
        raise DataRefused(f"{path}: row {row + 2}, column {col + 1} is {table[row, col]:g}, not a whole number from 0 to 255")
    labels = table[:, label_column].astype(np.uint8)
    pixels = np.delete(table, label_column, axis=1).astype(np.uint8).reshape(-1, MNIST_SIDE, MNIST_SIDE, 1)
    return _checked_images(pixels, labels, os.path.basename(path))


def _checked_images(pixels: np.ndarray, labels: np.ndarray, file: str) -> Examples:
    if pixels.shape[0] == 0:
        raise DataRefused(f"{file} holds no examples")
    if pixels.shape[1:3] != (MNIST_SIDE, MNIST_SIDE):
        raise DataRefused(f"{file}: images are {pixels.shape[1]}x{pixels.shape[2]}, the zoo models take 28x28")
    bad = np.flatnonzero(labels >= NUM_CLASSES)
    if len(bad):
        raise DataRefused(f"{file}: example {bad[0]} has label {labels[bad[0]]}, outside 0-{NUM_CLASSES - 1}")
    return Examples(pixels.astype(np.float32) * np.float32(1 / 255), labels.astype(np.int64), file)


def parse_schema_csv(path: str, schema: dict) -> Examples:
    """A tabular CSV checked against the federation's schema; refused with its first problems named, row by row."""
    features, label, classes = schema["features"], schema["label"], schema["classes"]
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header = [h.strip() for h in rows[0]] if rows else []
    missing = [c for c in [*features, label] if c not in header]
    if missing:
        names = ", ".join(f'"{c}"' for c in missing)
        raise DataRefused(f"{path} refused: the header row has no column {names} (the federation needs {', '.join([*features, label])})")
    feature_columns = [header.index(c) for c in features]
    label_column = header.index(label)
    problems, xs, ys = [], [], []
    for i, cells in enumerate(rows[1:]):
        row = i + 2
        if len(cells) == 0 or (len(cells) == 1 and not cells[0].strip()):
            continue
        if len(cells) != len(header):
            problems.append(f"row {row}: {len(cells)} values, the header has {len(header)} columns")
            continue
        values, row_problems = [], []
        for name, col in zip(features, feature_columns):
            cell = cells[col].strip()
            try:
                value = float(cell)
                if not np.isfinite(value):
                    raise ValueError
                values.append(value)
            except ValueError:
                row_problems.append(f"row {row}: column {name} is empty" if not cell else f'row {row}: column {name} is "{cell}", not a number')
        cls = cells[label_column].strip()
        if cls not in classes:
            row_problems.append(f'row {row}: label "{cls}" is not one of {", ".join(classes)}')
        if row_problems:
            problems.extend(row_problems)
            continue
        xs.append(values)
        ys.append(classes.index(cls))
    if not problems and not ys:
        problems.append("the file holds no examples, only a header")
    if problems:
        more = f"; and {len(problems) - 10} more" if len(problems) > 10 else ""
        raise DataRefused(f"{path} refused: {'; '.join(problems[:10])}{more}")
    x = np.array(xs, dtype=np.float32).reshape(len(ys), 1, len(features), 1)
    return Examples(x, np.array(ys, dtype=np.int64), os.path.basename(path))


def split_local(data: Examples, test_fraction: float, seed: str) -> tuple:
    """fl-core's splitLocal: the same seeded shuffle, so a Python silo holds out the examples a Node silo would."""
    count = data.count
    held_out = 0 if test_fraction <= 0 or count < 2 else min(count - 1, max(1, _js_round(count * test_fraction)))
    order = list(range(count))
    rng = Mulberry32(seed_from_text(seed))
    for i in range(count - 1, 0, -1):
        j = int(rng() * (i + 1))
        order[i], order[j] = order[j], order[i]
    pick = lambda idx: Examples(data.x[idx], data.labels[idx], data.file)  # noqa: E731
    train = pick(np.array(order[held_out:], dtype=np.int64))
    test = pick(np.array(order[:held_out], dtype=np.int64)) if held_out else None
    return train, test


def _js_round(value: float) -> int:
    return int(np.floor(value + 0.5))
