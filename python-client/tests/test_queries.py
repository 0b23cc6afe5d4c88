"""Federated-analytics queries on a Python silo: the answer vectors (flock_client.queries, checked against fl-core by
apps/coordinator/src/interop/pythonQueries.test.ts) and the session's query:ask -> query:answer."""

import time
import unittest

import numpy as np

from flock_client import wire
from flock_client.data import Examples
from flock_client.queries import QueryRefused, confusion_matrix_answer, counted_indices, device_answer
from flock_client.session import DeviceSession
from flock_client.transfer import ModelDownloader, content_hash

CONTEXT = {"classes": ["a", "b", "c"], "columns": ["age", "code"], "labelColumn": "label", "maxExamplesPerDevice": 1000}


def rows(ages, codes, labels) -> Examples:
    x = np.array(list(zip(ages, codes)), dtype=np.float32).reshape(len(labels), 1, 2, 1)
    return Examples(x, np.array(labels, dtype=np.int64), "rows.csv")


EXAMPLES = rows([10, 20, 50, 90, 95, 20], [0, 1, 1, 2, 0.1, 1], [0, 1, 1, 2, 0, 1])


def query(kind: str, **fields) -> dict:
    return {"kind": kind, "privacy": {"minDevices": 2}, "deadlineMs": 30000, **fields}


class Answers(unittest.TestCase):
    def test_each_kind_counts_as_worked_out_by_hand(self):
        self.assertEqual(device_answer(query("label-histogram"), CONTEXT, EXAMPLES, 3).tolist(), [2, 3, 1])
        stats = device_answer(query("column-stats", columns=[{"name": "age", "low": 20, "high": 80, "bins": 3}]), CONTEXT, EXAMPLES, 3)
        # clipped to [20, 80] around the centre 50: -30 -30 0 30 30 -30; bins: below, [20,40) [40,60) [60,80], above
        self.assertEqual(stats.tolist(), [6, -30, 5 * 900, 1, 2, 1, 0, 2])
        quantiles = device_answer(query("quantiles", column="age", edges=[20, 50, 90], quantiles=[0.5]), CONTEXT, EXAMPLES, 3)
        self.assertEqual(quantiles.tolist(), [1, 2, 2, 1])  # 90 is the last edge: inside the last bin
        labels = device_answer(query("frequent-values", values=["c", "a"], k=2), CONTEXT, EXAMPLES, 3)
        self.assertEqual(labels.tolist(), [1, 2, 1, 1])
        codes = device_answer(query("frequent-values", column="code", values=[1, 0.1, 7], k=2), CONTEXT, EXAMPLES, 3)
        self.assertEqual(codes.tolist(), [3, 1, 0, 1, 1, 0])  # 0.1 matches the float32 the row holds

    def test_a_confusion_matrix_counts_the_predictions_against_the_labels(self):
        predict = lambda x: np.where(x[:, 0, 0, 0] > 30, 2, 1)  # noqa: E731
        self.assertEqual(confusion_matrix_answer(query("confusion-matrix"), CONTEXT, EXAMPLES, 3, predict).tolist(), [0, 1, 1, 0, 2, 1, 0, 0, 1])

    def test_examples_per_device_counts_a_sample_drawn_as_fl_core_draws_it(self):
        answer = device_answer(query("label-histogram", privacy={"minDevices": 2, "examplesPerDevice": 4}), CONTEXT, EXAMPLES, 3)
        self.assertEqual(answer.sum(), 4)
        index = counted_indices(100, 10, wire.Mulberry32(3).draws)
        self.assertEqual(len(set(index.tolist())), 10)
        self.assertEqual(index.tolist(), sorted(index.tolist()))
        self.assertEqual(counted_indices(100, 10, wire.Mulberry32(3).draws).tolist(), index.tolist())
        self.assertEqual(counted_indices(5, 10).tolist(), [0, 1, 2, 3, 4])

    def test_data_that_does_not_fit_the_federation_is_refused_with_a_reason(self):
        with self.assertRaisesRegex(QueryRefused, "have 4 classes, the federation 3: import them again"):
            device_answer(query("label-histogram"), CONTEXT, EXAMPLES, 4)
        images = Examples(np.zeros((2, 28, 28, 1), dtype=np.float32), np.array([0, 1]), "idx")
        with self.assertRaisesRegex(QueryRefused, "images: they have no columns"):
            device_answer(query("quantiles", column="age", edges=[0, 1], quantiles=[0.5]), CONTEXT, images, 3)

    def test_the_silo_answers_from_its_training_examples_and_scores_the_model_asked_for(self):
        from flock_client.data import LocalData
        from flock_client.local_training import LocalTrainer
        from flock_client.models import build_model
        from flock_client.session import RoundTask

        model = build_model("tabular-mlp", None, input_shape=(1, 2, 1), num_classes=3, prefer="numpy")
        weights = np.random.default_rng(1).normal(0, 0.5, model.num_values).astype(np.float32)
        model.set_weights(weights)
        silo = LocalTrainer(LocalData(EXAMPLES, None, 3), "numpy", lambda name: None)
        task = RoundTask("fed", 3, "tabular-mlp", model.manifest, weights, {}, {}, "shard")
        expected = np.zeros((3, 3))
        for truth, predicted in zip(EXAMPLES.labels, np.argmax(model.predict(EXAMPLES.x), axis=1)):
            expected[truth, predicted] += 1
        self.assertEqual(silo.answer_query(query("confusion-matrix"), CONTEXT, task).tolist(), expected.ravel().tolist())
        self.assertEqual(silo.answer_query(query("label-histogram"), CONTEXT, None).tolist(), [2, 3, 1])


class FakeConnection:
    """Acknowledges query:answer and serves a model over model:chunk, 5 bytes at a time."""

    connected = True

    def __init__(self, model: bytes = b""):
        self.model = model
        self.sent = []

    def ask(self, event, data, timeout_s):
        if event == "model:chunk":
            return {"ok": True, "data": self.model[data["offset"] : data["offset"] + 5]}
        self.sent.append((event, data))
        return {"ok": True}

    def emit(self, event, data):
        pass

    def close(self):
        pass


class QueryAsks(unittest.TestCase):
    def session(self, connection: FakeConnection, answer_query):
        notices = []
        session = DeviceSession("http://unused", "fed", "silo-1", lambda task: None, backend="numpy", answer_query=answer_query, state_dir="/nonexistent", on_notice=notices.append)
        session._connection = connection
        session._query_downloader = ModelDownloader(connection)
        return session, notices

    def ask(self, kind: str, **extra) -> dict:
        return {"queryId": "q1", "query": query(kind), "context": CONTEXT, "deadline": int(time.time() * 1000) + 30000, "whatLeaves": "3 numbers: labels", **extra}

    def test_a_query_is_answered_once_and_printed_and_asked_again_sends_the_same_numbers(self):
        connection = FakeConnection()
        calls = []
        session, notices = self.session(connection, lambda q, c, model: calls.append(model) or device_answer(q, c, EXAMPLES, 3))
        ask = self.ask("label-histogram")
        session._on_query_ask(ask)
        session._on_query_ask(ask)
        self.assertEqual(connection.sent, [("query:answer", {"queryId": "q1", "answer": [2.0, 3.0, 1.0]})] * 2)
        self.assertEqual(calls, [None])
        self.assertEqual([n for n in notices if "answered" in n], ["query q1 (label-histogram) answered; what left this device: 2, 3, 1. 3 numbers: labels"])
        self.assertEqual(session.view.answered_queries[0]["numbers"], [2.0, 3.0, 1.0])

    def test_a_secure_sum_is_declined_with_a_sentence(self):
        connection = FakeConnection()
        session, notices = self.session(connection, lambda q, c, model: self.fail("a secure query must not be answered"))
        session._on_query_ask(self.ask("label-histogram", secureSumLevels=1000))
        self.assertEqual(connection.sent, [])
        self.assertIn("sums answers securely, which the Python client does not take part in", notices[-1])

    def test_a_confusion_matrix_scores_the_model_named_pulling_it_when_not_held(self):
        manifest = [{"name": "w", "shape": [3]}]
        weights = wire.encode_weights(manifest, np.array([1, 2, 3], dtype=np.float32), kind="weights")
        connection = FakeConnection(weights)
        seen = []
        session, notices = self.session(connection, lambda q, c, model: seen.append(model.weights.tolist()) or np.zeros(9))
        download = {"totalBytes": len(weights), "hash": content_hash(weights), "chunkBytes": 5}
        session._on_query_ask(self.ask("confusion-matrix", model={"round": 2, "model": "tabular-mlp", "download": download}))
        self.assertEqual(seen, [[1.0, 2.0, 3.0]])
        self.assertEqual(connection.sent[-1][1]["answer"], [0.0] * 9)
        self.assertEqual(session._whole_model, weights)
        # Held now: a second query on the same model pulls nothing.
        connection.model = b""
        session._on_query_ask({**self.ask("confusion-matrix", model={"round": 2, "model": "tabular-mlp", "download": download}), "queryId": "q2"})
        self.assertEqual(len(seen), 2)

    def test_a_failing_answer_is_not_sent_and_says_why(self):
        connection = FakeConnection()

        def refuse(q, c, model):
            raise QueryRefused("this device's examples have 4 classes, the federation 3: import them again")

        session, notices = self.session(connection, refuse)
        session._on_query_ask(self.ask("label-histogram"))
        self.assertEqual(connection.sent, [])
        self.assertEqual(notices[-1], "query q1 (label-histogram) not answered: this device's examples have 4 classes, the federation 3: import them again")


if __name__ == "__main__":
    unittest.main()
