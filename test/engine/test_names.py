import unittest

from ccb import names


class NamesTest(unittest.TestCase):
    def test_round_trips_every_key_it_accepts(self):
        for key in ["trailing-dot.", "back\\slash", "ctl\x01char", "del\x7f", "caf\u00e9", "a/b/c", "x" * 1000]:
            self.assertIsNone(names.key_problem(key), key)
            self.assertEqual(names.decode_blob_name(names.blob_name(key)), key)
            self.assertEqual(names.restores_exactly(names.blob_name(key)), key)

    def test_a_name_it_would_not_write_does_not_restore(self):
        self.assertIsNone(names.restores_exactly("odd\uff0fname"))
        self.assertIsNone(names.restores_exactly("a//b"))

    def test_storage_problems_name_azures_limits_and_archive_classes(self):
        self.assertIsNone(names.storage_problem("ok", 1, "STANDARD"))
        self.assertIn("1024", names.storage_problem("x" * 1020, 1, "STANDARD"))
        self.assertIn("path segments", names.storage_problem("/".join(["s"] * 254), 1, "STANDARD"))
        self.assertIn("larger than", names.storage_problem("big", names.MAX_OBJECT_BYTES + 1, "STANDARD"))
        self.assertIn("GLACIER", names.storage_problem("cold", 1, "GLACIER"))
        self.assertIsNone(names.storage_problem("warm", 1, "GLACIER_IR"))
        # UTF-16 length, as Azure counts: an astral character is two.
        self.assertIsNone(names.storage_problem("\U0001F600" * 509, 1, "STANDARD"))
        self.assertIsNotNone(names.storage_problem("\U0001F600" * 510, 1, "STANDARD"))


if __name__ == "__main__":
    unittest.main()


class ArchiveNameTest(unittest.TestCase):
    RUN = "20261203T232548.469899478Z"

    def test_a_name_data_holds_can_be_too_long_for_archive(self):
        fits = "k" * (names.AZURE_NAME_MAX - len("data/"))
        self.assertIsNone(names.storage_problem(fits, 1, "STANDARD"))
        self.assertEqual(names.archive_problem(self.RUN, fits),
                         "its archive name (archive/%s/...) would be 1054 characters; Azure allows 1024" % self.RUN)
        self.assertIsNone(names.archive_problem(self.RUN, "k" * (names.AZURE_NAME_MAX - 35)))
        deep = "/".join(["s"] * (names.AZURE_SEGMENTS_MAX - 1))
        self.assertIsNone(names.storage_problem(deep, 1, "STANDARD"))
        self.assertRegex(names.archive_problem(self.RUN, deep), "would have 255 path segments; Azure allows 254")


class BlobNameFastPathTest(unittest.TestCase):
    def test_the_fast_path_names_every_key_as_the_segment_encoding_does(self):
        import random

        rnd = random.Random(1)
        alphabet = "ab./\\\x00\x1f\x7f\u2400\u00e9"
        for _ in range(100000):
            key = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 8)))
            self.assertEqual(names.blob_name(key), "/".join(names.encode_segment(s) for s in key.split("/")), repr(key))
