import unittest

from ccb.march import march, rows, sort_file

from helpers import TempDirTest


def walk(src, dst):
    seen = []
    march(iter(src), iter(dst), lambda s: seen.append(("src", s[0])), lambda d: seen.append(("dst", d[0])),
          lambda s, d: seen.append(("both", s[0], d[0])))
    return seen


class MarchTest(unittest.TestCase):
    def test_calls_each_callback_in_name_order(self):
        src = [["a"], ["c"], ["d"], ["f"]]
        dst = [["b"], ["c"], ["e"], ["f"], ["g"]]
        self.assertEqual(walk(src, dst), [
            ("src", "a"), ("dst", "b"), ("both", "c", "c"), ("src", "d"), ("dst", "e"), ("both", "f", "f"),
            ("dst", "g")])

    def test_an_empty_side_makes_every_name_one_sided(self):
        self.assertEqual(walk([["a"], ["b"]], []), [("src", "a"), ("src", "b")])
        self.assertEqual(walk([], [["a"]]), [("dst", "a")])
        self.assertEqual(walk([], []), [])


class SortTest(TempDirTest):
    def test_sorts_bytewise_by_the_first_field_whatever_the_locale(self):
        path = self.write("l.tsv", ['"b"\t1\n', '"B"\t2\n', '"a/b"\t3\n', '"a"\t4\n', '"\u00e9"\t5\n'])
        sort_file(path, self.dir)
        self.assertEqual([r[0] for r in rows(path)], ['"B"', '"a"', '"a/b"', '"b"', '"\u00e9"'])


if __name__ == "__main__":
    unittest.main()
