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
