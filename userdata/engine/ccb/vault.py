"""The vault: the backup container, through Azure Blob's REST API and the run's SAS."""

import base64
import hashlib
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

from . import contract
from .base import RunFailed, epoch_of, tsv
from .verdict import parse_record, record_problem

STREAM_BYTES = 1 << 20
DATA = contract.VAULT_FOLDERS["data"]
CONTROL = re.compile("[\x00-\x1f]")


class Vault:
    """The container. `reached` turns true once a listing succeeded: only then is the status
    blob worth writing (a vault that cannot be listed will not take it either)."""

    def __init__(self, settings, credentials, sleep=time.sleep):
        self.settings = settings
        self.credentials = credentials
        self.sleep = sleep
        self.reached = False
        self.tried = False  # whether this run has addressed the vault at all (its SAS included)

    def request(self, method, url, body=None, headers=None, attempts=4):
        """One Azure Blob request with a few retries for transient failures."""
        hdrs = {"x-ms-version": "2021-08-06"}
        hdrs.update(headers or {})
        delay = 1.0
        for attempt in range(1, attempts + 1):
            req = urllib.request.Request(url, data=body, method=method, headers=hdrs)
            try:
                return urllib.request.urlopen(req, timeout=60)
            except urllib.error.HTTPError as e:
                code = e.headers.get("x-ms-error-code") or str(e.code)
                if e.code < 500 or attempt == attempts:
                    raise RunFailed("%s (HTTP %d)" % (code, e.code))
            except (urllib.error.URLError, OSError) as e:
                reason = getattr(e, "reason", e)
                if attempt == attempts:
                    raise RunFailed("cannot reach the vault: %s" % reason)
            self.sleep(delay)
            delay *= 2

    def pinned(self):
        """This vault with one SAS for a run of requests (a batch of seals, a share of reads):
        the credentials mint a new one per use once the current one runs low."""
        return Vault(self.settings, _OneSas(self.credentials.sas_url()), self.sleep)

    def url(self, path="", query=""):
        """A URL in the container (path like "/status/x.json"), signed with its SAS."""
        self.tried = True
        u = urllib.parse.urlsplit(self.credentials.sas_url())
        q = "%s&%s" % (query, u.query) if query else u.query
        return urllib.parse.urlunsplit((u.scheme, u.netloc, u.path.rstrip("/") + path, q, ""))

    def blob_url(self, name, query=""):
        """The URL of data/<name>."""
        return self.url("/" + DATA + urllib.parse.quote(name), query)

    def list(self, out):
        """Streams the data/ listing into `out` (anything with write()); returns the number of
        blobs. Each line: blob name (relative to data/), size, mtime (-1 when the blob records
        none), Content-MD5 (hex, "" for none), the ETag its content record holds ("" for none, or
        an unreadable record) and the record's raw value ("" for none)."""
        count, _ = self.list_under(DATA, out)
        self.reached = True
        return count

    def list_under(self, prefix, out, delimiter=""):
        """Lists the blobs whose names start with `prefix` into `out`; with a delimiter, only
        those directly under it, and returns the folders below it too. Returns (blobs, folders)."""
        count, folders, marker = 0, [], ""
        while True:
            n, marker = self.list_page(prefix, out, folders, marker, delimiter)
            count += n
            if not marker:
                return count, folders

    def list_page(self, prefix, out, folders, marker="", delimiter=""):
        """One List Blobs page: its blobs go to `out`, its folders (with a delimiter) to
        `folders`; returns (blobs, next marker)."""
        q = "restype=container&comp=list&prefix=%s&include=metadata&maxresults=5000" % urllib.parse.quote(prefix)
        if delimiter:
            q += "&delimiter=" + urllib.parse.quote(delimiter, safe="")
        if marker:
            q += "&marker=" + urllib.parse.quote(marker, safe="")
        try:
            resp = self.request("GET", self.url(query=q))
        except RunFailed as e:
            container = self.settings.containerName
            if str(e).startswith("ContainerNotFound"):
                raise RunFailed("vault container %s does not exist (ContainerNotFound)" % container)
            raise RunFailed("cannot list the vault container %s: %s" % (container, e))
        with resp:
            return _write_page(resp, out, folders)

    def put_status(self, path, body):
        """Writes one small blob (a single Put Blob request)."""
        self.request("PUT", self.url("/" + urllib.parse.quote(path)), body=body,
                     headers={"x-ms-blob-type": "BlockBlob", "Content-Type": "application/json"},
                     attempts=2).close()

    def create_append_blob(self, path):
        """Creates an empty append blob where none exists (If-None-Match: *): an existing blob,
        whatever it holds, is never replaced. One that already exists (another check or run
        created it first) is not an error."""
        try:
            self.request("PUT", self.url("/" + urllib.parse.quote(path)), body=b"",
                         headers={"x-ms-blob-type": "AppendBlob", "If-None-Match": "*",
                                  "Content-Type": "application/x-ndjson"}, attempts=2).close()
        except RunFailed as e:
            if not str(e).startswith("BlobAlreadyExists"):
                raise

    def append_block(self, path, body):
        """Adds `body` at the end of an append blob (Append Block): what is there already cannot
        be changed this way. Its Content-MD5 lets the service refuse a block that arrived
        damaged."""
        md5 = base64.b64encode(hashlib.md5(body, usedforsecurity=False).digest()).decode("ascii")
        self.request("PUT", self.url("/" + urllib.parse.quote(path), "comp=appendblock"), body=body,
                     headers={"Content-MD5": md5}, attempts=2).close()

    def get_json(self, path):
        """A small JSON blob (e.g. status/last-success.json)."""
        with self.request("GET", self.url("/" + urllib.parse.quote(path)), attempts=2) as resp:
            return json.load(resp)

    def chunks(self, name):
        resp = self.request("GET", self.blob_url(name))
        return iter(lambda: resp.read(STREAM_BYTES), b"")

    def properties(self, name):
        """Get Blob Properties of data/<name>: its headers, lower-cased."""
        with self.request("HEAD", self.blob_url(name)) as resp:
            return {k.lower(): v for k, v in resp.headers.items()}

    def probe(self):
        """One cheap request: None when the container answers, else what went wrong."""
        try:
            self.request("GET", self.url(query="restype=container&comp=list&maxresults=1"), attempts=3).close()
        except RunFailed as e:
            return "the vault: %s" % e
        return None


class _OneSas:
    def __init__(self, url):
        self._url = url

    def sas_url(self):
        return self._url


def _write_page(resp, out, folders):
    """Writes one List Blobs page's blobs, collects its folders; returns (blobs, next marker)."""
    count, marker = 0, ""
    for _, el in ET.iterparse(resp, events=("end",)):
        if el.tag == "Blob":
            out.write(_blob_row(el))
            count += 1
            el.clear()
        elif el.tag == "BlobPrefix":
            folders.append(_name(el.find("Name")))
            el.clear()
        elif el.tag == "NextMarker":
            marker = el.text or ""
    return count, marker


def _name(name_el):
    name = name_el.text or ""
    return urllib.parse.unquote(name) if name_el.get("Encoded") == "true" else name


def _blob_row(el):
    name = _name(el.find("Name"))
    props = el.find("Properties")
    size = int(props.findtext("Content-Length") or 0)
    md5b64 = props.findtext("Content-MD5") or ""
    md5 = base64.b64decode(md5b64).hex() if md5b64 else ""
    mtime_meta, raw = None, ""
    meta = el.find("Metadata")
    if meta is not None:
        for m in meta:
            if m.tag.lower() == "mtime":
                mtime_meta = m.text
            elif m.tag.lower() == contract.CONTENT_RECORD:
                raw = m.text or ""
    try:
        mtime = epoch_of(mtime_meta) if mtime_meta else -1
    except ValueError:
        mtime = -1
    if CONTROL.search(raw):
        raw = ""  # a record the engine wrote is URL-encoded; this one is not
    # The record counts only while it agrees with the blob's size and Content-MD5: a blob
    # rewritten after it was sealed is treated as unrecorded (sealed again, or copied again).
    record = parse_record(raw)[0] if raw else None  # expected_content's rule, parsing the record once
    if record is not None and record_problem(size, md5 or None, record) is not None:
        record = None
    etag = record["etag"] if record and not CONTROL.search(record["etag"]) else ""
    return tsv(json.dumps(name[len(DATA):]), size, mtime, md5, etag, raw)
