"""The client's own parts: silo data files, credentials, reconnection delays and the chunked upload's resumption.
The protocol end to end runs in apps/coordinator/src/interop/pythonClient.integration.test.ts and e2e/pythonSilo.spec.ts."""

import os
import struct
import tempfile
import unittest

import numpy as np

from flock_client.connection import RECONNECT_DELAY_MAX_S, Undelivered, reconnect_delay_s
from flock_client.credentials import DeviceCredentials
from flock_client.data import DataRefused, load_silo_data, split_local
from flock_client.transfer import content_hash, upload_update


def write_idx_pair(directory: str, prefix: str, count: int) -> None:
    images = struct.pack(">IIII", 0x803, count, 28, 28) + bytes(range(256)) * (count * 784 // 256) + bytes(count * 784 % 256)
    labels = struct.pack(">II", 0x801, count) + bytes(i % 10 for i in range(count))
    with open(os.path.join(directory, f"{prefix}-images-idx3-ubyte"), "wb") as f:
        f.write(images)
    with open(os.path.join(directory, f"{prefix}-labels-idx1-ubyte"), "wb") as f:
        f.write(labels)


class SiloData(unittest.TestCase):
    def test_an_idx_directory_with_a_test_pair_trains_on_one_and_evaluates_on_the_other(self):
        with tempfile.TemporaryDirectory() as d:
            write_idx_pair(d, "train", 12)
            write_idx_pair(d, "t10k", 4)
            data = load_silo_data(d, None, "silo")
        self.assertEqual((data.train.count, data.test.count, data.num_classes), (12, 4, 10))
        self.assertEqual(data.train.x.shape, (12, 28, 28, 1))
        self.assertAlmostEqual(float(data.train.x.max()), 1.0, places=6)
        self.assertEqual(data.train.file, "train-images-idx3-ubyte")

    def test_an_mnist_csv_is_read_and_a_bad_cell_named(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "mnist.csv")
            header = "label," + ",".join(f"p{i}" for i in range(784))
            with open(path, "w") as f:
                f.write(header + "\n" + "3," + ",".join(["7"] * 784) + "\n")
            data = load_silo_data(path, None, "silo")
            self.assertEqual((data.train.count, int(data.train.labels[0])), (1, 3))
            with open(path, "w") as f:
                f.write(header + "\n" + "3," + ",".join(["300"] * 784) + "\n")
            with self.assertRaisesRegex(DataRefused, "row 2, column 2 is 300, not a whole number from 0 to 255"):
                load_silo_data(path, None, "silo")

    def test_a_tabular_csv_is_checked_against_the_schema_and_split_as_the_node_silo_splits(self):
        dataset = {"kind": "device", "schema": {"type": "csv", "features": ["a", "b"], "label": "kind", "classes": ["x", "y"]}, "testFraction": 0.25}
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "rows.csv")
            with open(path, "w") as f:
                f.write("a,b,kind\n" + "".join(f"{i},{i * 2},{'xy'[i % 2]}\n" for i in range(8)))
            data = load_silo_data(path, dataset, "silo-1")
            self.assertEqual((data.train.count, data.test.count, data.num_classes), (6, 2, 2))
            self.assertEqual(data.train.x.shape, (6, 1, 2, 1))
            with open(path, "w") as f:
                f.write("a,b,kind\n1,oops,x\n2,3,z\n")
            with self.assertRaisesRegex(DataRefused, 'row 2: column b is "oops", not a number; row 3: label "z" is not one of x, y'):
                load_silo_data(path, dataset, "silo-1")

    def test_the_split_is_seeded_and_keeps_one_example_each_side(self):
        examples = load_examples(5)
        first, held = split_local(examples, 0.5, "seed")
        again, held_again = split_local(examples, 0.5, "seed")
        self.assertEqual(first.labels.tolist(), again.labels.tolist())
        # Math.round(2.5) is 3 in JavaScript: three held out, as the Node silo holds out.
        self.assertEqual((first.count, held.count), (2, 3))
        self.assertIsNone(split_local(load_examples(1), 0.5, "seed")[1])


def load_examples(count: int):
    from flock_client.data import Examples

    return Examples(np.zeros((count, 1, 1, 1), np.float32), np.arange(count), "rows.csv")


class Credentials(unittest.TestCase):
    def test_a_kept_credential_outlives_the_process_and_a_forgotten_one_falls_back_to_the_token(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "credential")
            DeviceCredentials("enroll", path).keep("jwt")
            self.assertEqual(oct(os.stat(path).st_mode & 0o777), "0o600")
            again = DeviceCredentials("enroll", path)
            self.assertEqual(again.socket_auth(), {"token": "jwt"})
            again.forget()
            self.assertEqual(again.headers(), {"authorization": "Bearer enroll"})
            self.assertFalse(os.path.exists(path))


class Reconnection(unittest.TestCase):
    def test_the_delay_doubles_from_half_a_second_to_five_with_half_jitter(self):
        self.assertEqual([reconnect_delay_s(a, lambda: 0.5) for a in range(5)], [0.5, 1.0, 2.0, 4.0, RECONNECT_DELAY_MAX_S])
        self.assertEqual(reconnect_delay_s(0, lambda: 0.0), 0.25)
        self.assertEqual(reconnect_delay_s(3, lambda: 1.0), RECONNECT_DELAY_MAX_S)


class FakeLink:
    """Holds what a coordinator received; `cut_at` drops the link when a chunk would start there."""

    def __init__(self, total: int, cut_at: int = -1):
        self.total, self.cut_at, self.held, self.connected, self.asked = total, cut_at, 0, True, []

    def ask(self, event, data, timeout_s):
        self.asked.append((event, data.get("offset")))
        if event == "update:chunk":
            if data["offset"] == self.cut_at:
                self.connected, self.cut_at = False, -1
                raise Undelivered("the connection dropped")
            self.held = data["offset"] + len(data["data"])
        return {"ok": True, "received": self.held, "done": self.held == self.total}


class ChunkedUpload(unittest.TestCase):
    def test_an_upload_cut_mid_way_goes_on_from_the_last_acknowledged_byte(self):
        message = {"federationId": "f", "round": 1, "numExamples": 1, "metrics": {"loss": 1, "accuracy": 0}, "payload": bytes(10)}
        link = FakeLink(10, cut_at=8)
        self.assertEqual(upload_update(link, message, chunk_bytes=4).outcome, "undelivered")
        link.connected = True
        self.assertEqual(upload_update(link, message, chunk_bytes=4).outcome, "accepted")
        self.assertEqual(
            link.asked,
            [("update:begin", None), ("update:chunk", 0), ("update:chunk", 4), ("update:chunk", 8), ("update:begin", None), ("update:chunk", 8)],
        )

    def test_the_content_hash_is_fl_cores_fnv_1a(self):
        self.assertEqual(content_hash(b""), "811c9dc5")
        self.assertEqual(content_hash(b"a"), "e40c292c")


if __name__ == "__main__":
    unittest.main()
