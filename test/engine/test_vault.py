import io
import json
import unittest

from ccb import vault

PAGE = b"""<?xml version="1.0" encoding="utf-8"?>
<EnumerationResults ContainerName="backup"><Blobs>
<Blob><Name>data/plain.txt</Name><Properties><Content-Length>5</Content-Length>
<Content-MD5>XUFAKrxLKna5cZ2REBfFkg==</Content-MD5></Properties>
<Metadata><Mtime>2026-01-02T03:04:05.123456789Z</Mtime></Metadata></Blob>
<Blob><Name Encoded="true">data/ctl%01name</Name><Properties><Content-Length>0</Content-Length></Properties></Blob>
<Blob><Name>data/bad-mtime</Name><Properties><Content-Length>1</Content-Length></Properties>
<Metadata><mtime>yesterday</mtime></Metadata></Blob>
</Blobs><NextMarker>marker-2</NextMarker></EnumerationResults>"""


class ListPageTest(unittest.TestCase):
    def test_writes_one_row_per_blob_with_its_size_recorded_mtime_and_md5(self):
        out = io.StringIO()
        count, marker = vault._write_page(io.BytesIO(PAGE), out)
        self.assertEqual((count, marker), (3, "marker-2"))
        rows = [line.split("\t") for line in out.getvalue().splitlines()]
        self.assertEqual([json.loads(r[0]) for r in rows], ["plain.txt", "ctl\x01name", "bad-mtime"])
        self.assertEqual(rows[0][1:], ["5", "1767323045", "5d41402abc4b2a76b9719d911017c592"])
        self.assertEqual(rows[1][1:], ["0", "-1", ""])
        self.assertEqual(rows[2][2], "-1")


if __name__ == "__main__":
    unittest.main()
