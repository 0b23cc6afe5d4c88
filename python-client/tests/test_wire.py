"""The wire formats on their own; apps/coordinator/src/interop/pythonCodecs.test.ts checks them against fl-core."""

import logging
import struct
import tempfile
import unittest
from pathlib import Path

import numpy as np

from flock_client.wire import (
    MAX_MODEL_VALUES,
    ErrorFeedback,
    Mulberry32,
    TensorSpec,
    WireError,
    apply_downlink,
    decode_dataset,
    decode_weights,
    encode_dataset,
    encode_model_delta,
    encode_weights,
    seed_from_text,
    topk_count,
    uplink_rng,
)
from flock_client.wire.float16 import floats_to_halves, halves_to_floats
from flock_client.wire.topk import select_topk

MANIFEST = [TensorSpec("dense/kernel", (6, 5)), TensorSpec("dense/bias", (5,))]


def sample(seed, n=35, scale=1.0):
    return (np.random.default_rng(seed).normal(size=n) * scale).astype(np.float32)


class Float16Test(unittest.TestCase):
    def test_edges_round_to_nearest_even(self):
        cases = {
            1.0: 0x3C00,
            -0.0: 0x8000,
            65504.0: 0x7BFF,
            65519.99: 0x7BFF,
            65520.0: 0x7C00,
            2.0**-24: 0x0001,
            2.0**-25: 0x0000,  # halfway between 0 and the least subnormal: to even
            3 * 2.0**-25: 0x0002,
            1 + 2.0**-11: 0x3C00,  # halfway: to even
            1 + 3 * 2.0**-11: 0x3C02,
            float("inf"): 0x7C00,
            float("-inf"): 0xFC00,
            float("nan"): 0x7E00,
            -float("nan"): 0xFE00,
        }
        halves = floats_to_halves(np.array(list(cases), dtype=np.float32))
        self.assertEqual([hex(h) for h in halves], [hex(h) for h in cases.values()])

    def test_finite_values_match_ieee_conversion(self):
        bits = np.random.default_rng(0).integers(0, 2**32, size=200_000, dtype=np.uint64).astype(np.uint32)
        values = bits.view(np.float32)
        values = values[np.isfinite(values)]
        with np.errstate(over="ignore"):
            ieee = values.astype(np.float16).view(np.uint16)
        np.testing.assert_array_equal(floats_to_halves(values), ieee)

    def test_every_half_reads_back_to_itself(self):
        halves = np.arange(65536, dtype=np.uint32).astype(np.uint16)
        back = floats_to_halves(halves_to_floats(halves))
        nan = (halves & 0x7C00) == 0x7C00
        nan &= (halves & 0x3FF) != 0
        np.testing.assert_array_equal(back[~nan], halves[~nan])


class RandomTest(unittest.TestCase):
    def test_draws_are_fl_cores(self):
        rng = Mulberry32(42)
        self.assertEqual([rng(), rng(), rng()], [0.6011037519201636, 0.44829055899754167, 0.8524657934904099])
        self.assertEqual(seed_from_text("a/b/1/uplink"), 4144298043)
        self.assertEqual(seed_from_text("héllo😀"), 4113148722)

    def test_batched_draws_continue_the_sequence(self):
        one_by_one = Mulberry32(7)
        expected = [one_by_one() for _ in range(10)]
        batched = Mulberry32(7)
        np.testing.assert_array_equal(np.concatenate([batched.draws(3), batched.draws(7)]), expected)

    def test_uplink_draws_are_per_federation_shard_and_round(self):
        self.assertEqual(uplink_rng(None, "s", 3)(), Mulberry32(seed_from_text("/s/3/uplink"))())
        self.assertNotEqual(uplink_rng("f", "s", 3)(), uplink_rng("f", "s", 4)())


class WeightsTest(unittest.TestCase):
    def test_float32_round_trip_keeps_every_bit(self):
        values = sample(1)
        values[3] = -0.0
        values[4] = np.nan
        decoded = decode_weights(encode_weights(MANIFEST, values, kind="weights"), MANIFEST)
        self.assertEqual((decoded.kind, decoded.codec, decoded.carried), ("weights", "float32", 35))
        self.assertEqual(decoded.manifest, MANIFEST)
        np.testing.assert_array_equal(decoded.values.view(np.uint32), values.view(np.uint32))

    def test_header_manifest_and_padding(self):
        payload = encode_weights([{"name": "b", "shape": [2]}], [1, 2], codec="float32")
        manifest = b'[{"name":"b","shape":[2],"dtype":"float32"}]'
        self.assertEqual(payload[:12], b"FLKW\x01\x00\x01\x00" + struct.pack("<I", len(manifest)))
        self.assertEqual(payload[12 : 12 + len(manifest)], manifest)
        padding = -(12 + len(manifest)) % 4
        self.assertEqual(payload[12 + len(manifest) :], b"\0" * padding + struct.pack("<2f", 1, 2))

    def test_manifest_json_is_what_json_stringify_writes(self):
        names = ["dense/kernel", 'q"uo\\te', "tab\tnew\nline\x01", "ünï😀", "lone \ud800"]
        written = ['"dense/kernel"', '"q\\"uo\\\\te"', '"tab\\tnew\\nline\\u0001"', '"ünï😀"', '"lone \\ud800"']
        for name, json_name in zip(names, written):
            payload = encode_weights([TensorSpec(name, ())], [1])
            expected = ('[{"name":' + json_name + ',"shape":[],"dtype":"float32"}]').encode()
            self.assertEqual(payload[12 : 12 + len(expected)], expected)
            self.assertEqual(decode_weights(payload).manifest[0].name, name)

    def test_manifest_entries_read_like_json(self):
        spec = decode_weights(encode_weights(MANIFEST, sample(2))).manifest[0]
        self.assertEqual((spec["name"], spec["shape"], spec["dtype"], spec.size), ("dense/kernel", (6, 5), "float32", 30))

    def test_float16_error_is_half_a_step(self):
        values = sample(3)
        decoded = decode_weights(encode_weights(MANIFEST, values, codec="float16")).values
        self.assertTrue(np.all(np.abs(decoded - values) <= np.abs(values) * 2.0**-11))

    def test_int8_rounds_to_nearest_without_draws(self):
        values = sample(4, n=35, scale=3)
        payload = encode_weights(MANIFEST, values, codec="int8", int8_chunk=8)
        decoded = decode_weights(payload).values
        scales = np.repeat([np.abs(values[i : i + 8]).max() / 127 for i in range(0, 35, 8)], 8)[:35]
        self.assertTrue(np.all(np.abs(decoded - values) <= scales * 0.5 + 1e-6))

    def test_int8_stochastic_rounding_is_unbiased(self):
        values = sample(5, n=35)
        mean = np.mean(
            [decode_weights(encode_weights(MANIFEST, values, codec="int8", rng=Mulberry32(s))).values for s in range(400)],
            axis=0,
        )
        scale = np.abs(values).max() / 127
        self.assertLess(np.abs(mean - values).max(), scale * 0.25)

    def test_int8_draws_once_per_value_of_each_rounded_chunk(self):
        values = np.zeros(35, dtype=np.float32)
        values[:8] = sample(6, n=8)
        values[8] = np.nan  # its chunk gets a NaN scale and draws nothing, as the zero chunks
        payload = encode_weights(MANIFEST, values, codec="int8", int8_chunk=8, rng=np.full(8, 0.5))
        self.assertEqual(payload, encode_weights(MANIFEST, values, codec="int8", int8_chunk=8, rng=lambda: 0.5))
        self.assertTrue(np.isnan(decode_weights(payload).values[8:16]).all())
        with self.assertRaises(ValueError):
            encode_weights(MANIFEST, sample(6), codec="int8", int8_chunk=8, rng=np.full(8, 0.5))

    def test_topk_keeps_the_largest_ties_in_index_order(self):
        values = np.array([0.5, -0.5, 0, 2, 0.5, np.nan, -0.5, 0], dtype=np.float32)
        self.assertEqual(select_topk(values, 4).tolist(), [0, 1, 3, 5])
        self.assertEqual(select_topk(np.array([0, 1, 0, -2], dtype=np.float32), 3).tolist(), [1, 3])
        self.assertEqual(topk_count(35, 0.01), 1)
        self.assertEqual(topk_count(35, 0.5), 18)

    def test_topk_sends_halves_at_their_indices(self):
        values = np.zeros(35, dtype=np.float32)
        values[[0, 7, 34]] = [1e6, -3, 0.25]
        decoded = decode_weights(encode_weights(MANIFEST, values, codec="topk", topk_fraction=0.05))
        self.assertEqual(decoded.carried, 2)
        self.assertEqual(decoded.values[[0, 7, 34]].tolist(), [65504, -3, 0])

    def test_topk_indices_far_apart_take_longer_varints(self):
        manifest = [TensorSpec("v", (300_000,))]
        values = np.zeros(300_000, dtype=np.float32)
        values[[0, 200, 20_000, 299_999]] = 1
        decoded = decode_weights(encode_weights(manifest, values, codec="topk", topk_fraction=1))
        np.testing.assert_array_equal(decoded.values, values)

    def test_encoder_refuses_what_it_cannot_encode(self):
        for kwargs in ({"codec": "int4"}, {"codec": "topk", "topk_fraction": 0}, {"codec": "int8", "int8_chunk": 0}, {"kind": "model"}):
            with self.subTest(**kwargs), self.assertRaises(WireError):
                encode_weights(MANIFEST, sample(7), **kwargs)
        with self.assertRaisesRegex(WireError, "values hold 34 numbers but the manifest describes 35"):
            encode_weights(MANIFEST, sample(7)[:34])


class DecoderRefusalTest(unittest.TestCase):
    payload = encode_weights(MANIFEST, sample(8), codec="float32")

    def refuses(self, data, reason, expected=None):
        with self.assertRaisesRegex(WireError, reason):
            decode_weights(bytes(data), expected)

    def patched(self, at, byte):
        data = bytearray(self.payload)
        data[at] = byte
        return data

    def header(self, manifest, codec=0):
        json = manifest.encode()
        return b"FLKW" + bytes([1, codec, 1, 0]) + struct.pack("<I", len(json)) + json + b"\0" * (-(12 + len(json)) % 4)

    def test_header(self):
        self.refuses(self.payload[:11], "shorter than the header")
        self.refuses(self.patched(0, 0x47), "bad magic")
        self.refuses(self.patched(4, 2), "format version 2")
        self.refuses(self.patched(5, 4), "codec 4 is not supported")
        self.refuses(self.patched(6, 2), "unknown payload kind 2")
        self.refuses(self.payload[:8] + struct.pack("<I", (1 << 20) + 1) + self.payload[12:], "does not fit")

    def test_manifest(self):
        self.refuses(self.header("[{"), "not valid JSON")
        self.refuses(self.header("[" * 5000 + "]" * 5000), "not valid JSON|manifest entry 0")
        self.refuses(self.header('{"name":"v"}'), "not a list")
        self.refuses(self.header('[{"name":"v","shape":[2.5],"dtype":"float32"}]'), "manifest entry 0")
        self.refuses(self.header('[{"name":"v","shape":[true],"dtype":"float32"}]'), "manifest entry 0")
        self.refuses(self.header('[{"name":"v","shape":[2],"dtype":"int32"}]'), "manifest entry 0")
        self.refuses(self.header('[{"name":"v","shape":[268435456],"dtype":"float32"}]'), "manifest entry 0")
        self.refuses(self.header('[{"name":"v","shape":[16384,8192],"dtype":"float32"}]'), f"at most {MAX_MODEL_VALUES}")
        self.refuses(self.payload, "tensor 1 is dense/bias float32\\[5\\], expected b float32\\[5\\]", [MANIFEST[0], TensorSpec("b", (5,))])
        whole = self.header('[{"name":"v","shape":[2.0],"dtype":"float32","note":1}]') + struct.pack("<2f", 1, 2)
        self.assertEqual(decode_weights(whole).manifest, [TensorSpec("v", (2,))])

    def test_data(self):
        self.refuses(self.payload[:-1], "holds 139 data bytes, manifest needs 140")
        self.refuses(self.payload + b"\0", "holds 141 data bytes")
        v4 = '[{"name":"v","shape":[4],"dtype":"float32"}]'
        self.refuses(self.header(v4, 2) + struct.pack("<I", 0), "chunk size 0 is out of range")
        self.refuses(self.header(v4, 2) + struct.pack("<If", 4, -1.0) + b"\1" * 4, "chunk 0 has a negative scale")
        self.refuses(self.header(v4, 2) + struct.pack("<If", 4, 1.0) + b"\1" * 3, "need 12")
        self.refuses(self.header(v4, 3) + struct.pack("<I", 5), "claims 5 values, the model has 4")
        self.refuses(self.header(v4, 3) + struct.pack("<IH", 1, 0x3C00), "cannot hold 1 values")
        self.refuses(self.header(v4, 3) + struct.pack("<IH", 1, 0x3C00) + bytes([4]), "index 4 is past the model's 4 values")
        self.refuses(self.header(v4, 3) + struct.pack("<IH", 1, 0x3C00) + bytes([0x80] * 5 + [0]), "does not fit 32 bits")
        self.refuses(self.header(v4, 3) + struct.pack("<IHH", 2, 0x3C00, 0x3C00) + bytes([0x80, 0x80]), "index 0 of 2 is cut off")
        self.refuses(self.header(v4, 3) + struct.pack("<IH", 1, 0x3C00) + bytes([1, 0]), "1 bytes after its 1 indices")


class ErrorFeedbackTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)

    def test_sent_plus_residual_is_every_delta_so_far_across_restarts(self):
        deltas = [sample(s) for s in range(5)]
        sent = np.zeros(35, dtype=np.float32)
        for delta in deltas:
            feedback = ErrorFeedback.for_device(self.dir.name, "fed/1", "shard 2")
            payload = encode_weights(MANIFEST, delta, codec="topk", topk_fraction=0.1, error_feedback=feedback)
            sent += decode_weights(payload).values
        residual = ErrorFeedback.for_device(self.dir.name, "fed/1", "shard 2").residual
        np.testing.assert_allclose(sent + residual, np.sum(deltas, axis=0), atol=1e-5)
        self.assertEqual([p.name for p in Path(self.dir.name).iterdir()], [feedback.path.name])
        self.assertRegex(feedback.path.name, r"^residual-fed_1_shard_2-[0-9a-f]{12}\.flkw$")

    def test_devices_and_federations_keep_separate_residuals(self):
        a = ErrorFeedback.for_device(self.dir.name, "f", "a")
        encode_weights(MANIFEST, sample(1), codec="topk", error_feedback=a)
        self.assertEqual(ErrorFeedback.for_device(self.dir.name, "f", "b").residual.size, 0)
        self.assertEqual(ErrorFeedback.for_device(self.dir.name, None, "a").residual.size, 0)

    def test_a_residual_of_another_model_starts_afresh(self):
        path = Path(self.dir.name, "r.flkw")
        encode_weights(MANIFEST, sample(1), codec="topk", error_feedback=ErrorFeedback(path))
        other = [TensorSpec("w", (35,))]
        payload = encode_weights(other, sample(2), codec="topk", error_feedback=ErrorFeedback(path))
        self.assertEqual(payload, encode_weights(other, sample(2), codec="topk"))

    def test_an_unreadable_residual_starts_afresh_with_a_warning(self):
        path = Path(self.dir.name, "r.flkw")
        path.write_bytes(b"not a residual")
        with self.assertLogs("flock_client", logging.WARNING) as logs:
            feedback = ErrorFeedback(path)
        self.assertIn("cannot be read", logs.output[0])
        encode_weights(MANIFEST, sample(1), codec="topk", error_feedback=feedback)
        self.assertEqual(ErrorFeedback(path).residual.size, 35)

    def test_a_non_finite_residual_is_dropped(self):
        feedback = ErrorFeedback(None)
        delta = sample(1)
        delta[2] = np.inf
        encode_weights(MANIFEST, delta, codec="topk", topk_fraction=0.05, error_feedback=feedback)
        np.testing.assert_array_equal(feedback.residual, np.zeros(35, dtype=np.float32))

    def test_full_weights_take_no_error_feedback(self):
        with self.assertRaisesRegex(WireError, "deltas"):
            encode_weights(MANIFEST, sample(1), codec="topk", kind="weights", error_feedback=ErrorFeedback(None))


class DownlinkTest(unittest.TestCase):
    def test_held_model_moves_to_the_new_global_on_the_grid(self):
        held = sample(1)
        new = held + sample(2) * 0.01
        payload = encode_model_delta(MANIFEST, held, new)
        self.assertEqual(decode_weights(payload).codec, "int8")
        exact = apply_downlink(held, payload, MANIFEST, "float32")
        self.assertLess(np.abs(exact - new).max(), 1e-3)
        grid = apply_downlink(held, payload, MANIFEST, "float16")
        np.testing.assert_array_equal(grid, exact.astype(np.float16).astype(np.float32))

    def test_refuses_full_weights_and_another_model(self):
        with self.assertRaisesRegex(WireError, "holds full weights"):
            apply_downlink(sample(1), encode_weights(MANIFEST, sample(2), kind="weights"), MANIFEST, "float32")
        with self.assertRaisesRegex(WireError, "expected"):
            apply_downlink(sample(1), encode_weights(MANIFEST, sample(2)), [TensorSpec("w", (35,))], "float32")


class DatasetTest(unittest.TestCase):
    pixels = np.arange(2 * 3 * 4 * 1, dtype=np.uint8).reshape(2, 3, 4, 1) * 10

    def test_round_trip_scales_pixels_as_tfjs(self):
        data = encode_dataset(self.pixels, [1, 0], 2)
        self.assertEqual(data[:16], b"FLKD\x01\x01\x02\x00" + struct.pack("<IHH", 2, 3, 4))
        shard = decode_dataset(data)
        np.testing.assert_array_equal(shard.pixels, self.pixels)
        self.assertEqual((shard.x.dtype, shard.x.shape, shard.y.dtype, shard.y.tolist(), shard.num_classes), (np.float32, (2, 3, 4, 1), np.int64, [1, 0], 2))
        np.testing.assert_array_equal(shard.x, self.pixels.astype(np.float32) * np.float32(1 / 255))

    def test_refuses_a_broken_shard(self):
        data = encode_dataset(self.pixels, [1, 0], 2)
        for broken, reason in (
            (b"FLKX" + data[4:], "bad magic"),
            (data[:4] + b"\x02" + data[5:], "version 2"),
            (data[:-1], "length does not match"),
            (data[:16] + b"\x02" + data[17:], "label outside its classes"),
        ):
            with self.subTest(reason=reason), self.assertRaisesRegex(WireError, reason):
                decode_dataset(broken)


if __name__ == "__main__":
    unittest.main()
