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
        count, marker = vault._write_page(io.BytesIO(PAGE), out, [])
        self.assertEqual((count, marker), (3, "marker-2"))
        rows = [line.split("\t") for line in out.getvalue().splitlines()]
        self.assertEqual([json.loads(r[0]) for r in rows], ["plain.txt", "ctl\x01name", "bad-mtime"])
        self.assertEqual(rows[0][1:], ["5", "1767323045", "5d41402abc4b2a76b9719d911017c592", "", ""])
        self.assertEqual(rows[1][1:], ["0", "-1", "", "", ""])
        self.assertEqual(rows[2][2], "-1")


    def test_reads_the_content_record_only_where_it_agrees_with_the_blob(self):
        from ccb import seal

        raw = seal.encode_record({"format": 1, "etag": "abc-2", "size": 5, "mtime": 1, "sse": "aws:kms",
                                  "md5": "5d41402abc4b2a76b9719d911017c592", "meta": 0, "engine": "dev"})
        page = ("<EnumerationResults><Blobs><Blob><Name>data/k</Name><Properties><Content-Length>5</Content-Length>"
                "<Content-MD5>XUFAKrxLKna5cZ2REBfFkg==</Content-MD5>"
                "</Properties><Metadata><ccbsource>%s</ccbsource></Metadata></Blob>"
                "<Blob><Name>data/rewritten</Name><Properties><Content-Length>5</Content-Length>"
                "<Content-MD5>AAAAAAAAAAAAAAAAAAAAAA==</Content-MD5>"
                "</Properties><Metadata><ccbsource>%s</ccbsource></Metadata></Blob>"
                "<Blob><Name>data/t</Name><Properties><Content-Length>5</Content-Length></Properties>"
                "<Metadata><ccbsource>a\tb</ccbsource></Metadata></Blob>"
                "<Blob><Name>data/j</Name><Properties><Content-Length>5</Content-Length></Properties>"
                "<Metadata><ccbsource>%%7B%%7D</ccbsource></Metadata></Blob>"
                "</Blobs><NextMarker/></EnumerationResults>" % (raw, raw)).encode()
        out = io.StringIO()
        vault._write_page(io.BytesIO(page), out, [])
        rows = [line.split("\t") for line in out.getvalue().splitlines()]
        self.assertEqual(rows[0][4:], ["abc-2", raw])
        # a record that contradicts the blob's Content-MD5 does not count: the blob was rewritten
        self.assertEqual(rows[1][4:], ["", raw])
        self.assertEqual(rows[2][4:], ["", ""])
        self.assertEqual(rows[3][4:], ["", "%7B%7D"])

    def test_a_record_whose_etag_holds_a_control_character_does_not_count(self):
        from ccb import seal

        raw = seal.encode_record({"format": 1, "etag": "a\rb", "size": 5, "mtime": 1, "sse": "none",
                                  "md5": "5d41402abc4b2a76b9719d911017c592", "meta": 0, "engine": "dev"})
        page = ("<EnumerationResults><Blobs><Blob><Name>data/k</Name><Properties><Content-Length>5</Content-Length>"
                "<Content-MD5>XUFAKrxLKna5cZ2REBfFkg==</Content-MD5></Properties><Metadata><ccbsource>%s</ccbsource>"
                "</Metadata></Blob></Blobs><NextMarker/></EnumerationResults>" % raw).encode()
        out = io.StringIO()
        vault._write_page(io.BytesIO(page), out, [])
        self.assertEqual(out.getvalue().count("\n"), 1)
        self.assertEqual(out.getvalue().rstrip("\n").split("\t")[4], "")


if __name__ == "__main__":
    unittest.main()
