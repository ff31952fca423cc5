import http.server
import io
import json
import random
import threading
import unittest
import urllib.parse
from xml.sax.saxutils import escape

from ccb import vaultlist
from ccb.vault import Vault

from helpers import make_settings


class ListBlobs(http.server.BaseHTTPRequestHandler):
    """Azure's List Blobs over a sorted name list: prefix, delimiter (BlobPrefix), marker and
    maxresults, in the service's XML. The marker is the last name returned (opaque to clients)."""
    names = []
    requests = []
    lock = threading.Lock()

    def do_GET(self):
        q = {k: v[0] for k, v in urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query).items()}
        with self.lock:
            self.requests.append(q)
        prefix, delim, after = q.get("prefix", ""), q.get("delimiter", ""), q.get("marker", "")
        page, limit, marker = [], min(int(q.get("maxresults", "5000")), 5000), ""
        for name in self.names:
            if not name.startswith(prefix) or (after and name <= after):
                continue
            rest = name[len(prefix):]
            item = ("prefix", prefix + rest[:rest.index(delim) + len(delim)]) if delim and delim in rest else ("blob", name)
            if page and page[-1] == item:
                continue
            if len(page) == limit:
                marker = page[-1][1] if page[-1][0] == "blob" else page[-1][1] + "\U0010ffff"
                break
            page.append(item)
        body = ['<?xml version="1.0" encoding="utf-8"?><EnumerationResults ContainerName="backup"><Blobs>']
        for kind, name in page:
            if kind == "prefix":
                body.append("<BlobPrefix><Name>%s</Name></BlobPrefix>" % escape(name))
            else:
                body.append("<Blob><Name>%s</Name><Properties><Content-Length>3</Content-Length></Properties>"
                            "<Metadata><mtime>2026-01-02T03:04:05Z</mtime></Metadata></Blob>" % escape(name))
        body.append("</Blobs><NextMarker>%s</NextMarker></EnumerationResults>" % escape(marker))
        data = "".join(body).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


class Sas:
    def __init__(self, url):
        self.url = url

    def sas_url(self):
        return self.url + "?sv=2021-08-06&sig=fake"


class FanOutTest(unittest.TestCase):
    def setUp(self):
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), ListBlobs)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.vault = Vault(make_settings(), Sas("http://127.0.0.1:%d/devstoreaccount1/backup" % self.server.server_address[1]),
                           sleep=lambda s: None)

    def tearDown(self):
        self.server.shutdown()
        self.server.server_close()

    def listing(self, names, expected):
        ListBlobs.names, ListBlobs.requests = sorted("data/" + n for n in names), []
        out = io.StringIO()
        count, folders = vaultlist.list_vault(self.vault, out, expected)
        listed = sorted(json.loads(line.split("\t")[0]) for line in out.getvalue().splitlines())
        return count, folders, listed, ListBlobs.requests

    def names(self, n):
        rnd = random.Random(n)
        out = set()
        while len(out) < n:
            r = rnd.random()
            if r < 0.7:
                out.add("logs/2026/%02d/%02d/%06d.json" % (rnd.randint(1, 12), rnd.randint(1, 28), rnd.randint(0, 10 ** 6)))
            elif r < 0.9:
                out.add("exports/%s/%d" % (rnd.choice("abcdef"), rnd.randint(0, 10 ** 6)))
            else:
                out.add("top-%d.bin" % rnd.randint(0, 10 ** 6))
        return sorted(out)

    def test_a_small_vault_is_listed_flat_at_the_floor(self):
        names = self.names(12000)
        count, folders, listed, requests = self.listing(names, expected=12000)
        self.assertEqual((count, folders, listed), (12000, 0, names))
        self.assertEqual(len(requests), 3)
        self.assertTrue(all("delimiter" not in q for q in requests))

    def test_a_large_vault_is_listed_by_folder_every_blob_once(self):
        names = self.names(30000)
        count, folders, listed, requests = self.listing(names, expected=vaultlist.FANOUT_MIN_BLOBS)
        self.assertEqual((count, listed), (30000, names))
        self.assertGreaterEqual(folders, 2 * vaultlist.FANOUT_WORKERS)
        walked = {q["prefix"] for q in requests if "delimiter" in q}
        # The walk went down from data/ to the days (data/, exports/ and logs/, the six export
        # folders and logs/2026/, its 12 months): 22 folders, none with 5,000 entries directly.
        self.assertEqual(len(walked), 22)
        self.assertIn("data/logs/2026/12/", walked)
        # Over the floor (6 pages): at most one partial page per folder walked or listed flat.
        self.assertLessEqual(len(requests), 6 + len(walked) + folders)

    def test_a_flat_vault_costs_what_a_flat_listing_does(self):
        names = ["f%07d" % i for i in range(12000)]
        count, folders, listed, requests = self.listing(names, expected=10 ** 6)
        self.assertEqual((count, folders, listed), (12000, 0, names))
        self.assertEqual(len(requests), 3)


if __name__ == "__main__":
    unittest.main()
