#!/usr/bin/python3 -I
# cross-cloud-backup: one backup run from S3 to Azure Blob. Rendered by userdata/syncScript.ts;
# changes made on the host are lost when the instance is replaced. The commented source is
# userdata/engine.py in the cross-cloud-backup repository.

CONFIG = {
    "sourceBucket": "example-app-data-dev",
    "sourcePrefix": "exports/",
    "sourceRegion": "eu-west-1",
    "container": "backup",
    "vaultRoot": "vault:backup",
    "mode": "mirror",
    "maxDeletes": 100,
    "maxDeletePercent": 50,
    "credential": "userData",
    "ssmParameter": "/cross-cloud-backup/dev/vault-sas-url",
    "stack": "dev",
    "metricsNamespace": "CrossCloudBackup",
    "logGroup": "/cross-cloud-backup/dev",
    "integritySample": 20,
    "drillSample": 20,
}


import base64
import calendar
import fcntl
import functools
import gzip
import hashlib
import hmac
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

EXIT_SUCCESS = 0
EXIT_FAILURE = 1
EXIT_PARTIAL = 3
EXIT_MISMATCH = 4
EXIT_OVERLAP = 75

ARCHIVE_CLASSES = ("GLACIER", "DEEP_ARCHIVE")
BATCH_SIZE = 1000
ALL_REFUSED_MIN = 20
UNREADABLE_RETRY_SECONDS = 24 * 3600
KEEP_RUN_LOGS = 30
SUMMARY_LIST_LIMIT = 100
AZURE_NAME_MAX = 1024
AZURE_SEGMENTS_MAX = 254
CHUNK_BYTES = 16 * 1024 * 1024
MAX_OBJECT_BYTES = CHUNK_BYTES * 50000
ENCODING_CHARS = re.compile("[\u2400-\u2421\uff0f\uff3c\u201b\ufffd]")
PROBE_AFTER = 20
STALL_SECONDS = 900
UNREADABLE = re.compile(
    r"(AccessDenied|InvalidObjectState|restore first|Forbidden|status code: 403|"
    r"InvalidRequest|SSECustomer|KMS\.|status code: 400)"
)
NOT_THE_OBJECT = re.compile(
    r"RequestTimeTooSkewed|SignatureDoesNotMatch|ExpiredToken|InvalidAccessKeyId|InvalidToken|TokenRefreshRequired"
)

VAULT_REACHABLE = [False]
state_dir = os.environ.get("STATE_DIRECTORY", "/var/lib/cross-cloud-backup")
config_dir = os.environ.get("CREDENTIALS_DIRECTORY", "/etc/cross-cloud-backup")
rclone_config = os.path.join(config_dir, "rclone.conf")


def redact(text):
    text = re.sub(r"\b(sig|se|sp|sv|st|sr|spr|sip|skoid|sktid|skt|ske|sks|skv)=[^&\s\"'<>\\]*", r"\1=REDACTED", str(text))
    text = re.sub(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*", "REDACTED-JWT", text)
    return re.sub(r"(Signature|Credential|X-Amz-Security-Token)=[^&\s\"'<>\\]*", r"\1=REDACTED", text)


def log(msg):
    print("cross-cloud-backup: " + redact(msg), file=sys.stderr, flush=True)


class RunFailed(Exception):
    pass


def utc(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def epoch_of(iso):
    return calendar.timegm(time.strptime(iso[:19], "%Y-%m-%dT%H:%M:%S"))




def key_problem(rel):
    if rel == "":
        return "the key equals the prefix (a folder marker)"
    if rel.endswith("/"):
        return "the key ends in '/' (a folder marker): rclone cannot address it"
    if rel.startswith("/") or "//" in rel:
        return "the key has an empty path segment ('//' or a leading '/'): rclone cannot address it"
    if "\n" in rel or "\r" in rel:
        return "the key contains a line break"
    if any(seg in (".", "..") for seg in rel.split("/")):
        return "the key has a '.' or '..' path segment"
    if ENCODING_CHARS.search(rel) or any(seg.endswith("\uff0e") for seg in rel.split("/")):
        return "the key contains a character rclone uses to encode names (U+2400-U+2421, U+FF0F, U+FF3C, U+201B, U+FF0E at the end of a segment) or U+FFFD"
    return None


def encode_segment(seg):
    out = []
    for ch in seg:
        c = ord(ch)
        if c < 0x20:
            out.append(chr(0x2400 + c))
        elif c == 0x7F:
            out.append("\u2421")
        elif ch == "\\":
            out.append("\uff3c")
        else:
            out.append(ch)
    if out and out[-1] == ".":
        out[-1] = "\uff0e"
    return "".join(out)


def blob_name(rel):
    return "/".join(encode_segment(s) for s in rel.split("/"))


def decode_blob_name(name):
    out = []
    for seg in name.split("/"):
        if seg.endswith("\uff0e"):
            seg = seg[:-1] + "."
        seg = "".join(
            chr(ord(c) - 0x2400) if 0x2400 <= ord(c) < 0x2420 else "\x7f" if c == "\u2421" else "\\" if c == "\uff3c" else c
            for c in seg
        )
        out.append(seg)
    return "/".join(out)


def utf16_len(s):
    return len(s.encode("utf-16-le")) // 2


def tsv(*fields):
    return "\t".join(str(f) for f in fields) + "\n"




@functools.lru_cache(maxsize=None)
def s3_client(region):
    import botocore.config
    import botocore.session

    session = botocore.session.get_session()
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or None
    cfg = botocore.config.Config(
        retries={"max_attempts": 4, "mode": "standard"},
        connect_timeout=10,
        read_timeout=60,
        s3={"addressing_style": "path" if endpoint else "virtual"},
    )
    return session.create_client("s3", region_name=region, endpoint_url=endpoint, config=cfg)


def list_source(cfg, out_path, skipped):
    import botocore.exceptions

    bucket, prefix = cfg["sourceBucket"], cfg["sourcePrefix"]
    client = s3_client(cfg["sourceRegion"])
    count = total = 0
    try:
        pages = client.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=prefix, PaginationConfig={"PageSize": 1000}
        )
        with open(out_path, "w", encoding="utf-8") as out:
            for page in pages:
                for o in page.get("Contents", []):
                    key, size = o["Key"], int(o["Size"])
                    rel = key[len(prefix):]
                    count += 1
                    total += size
                    etag = o.get("ETag", "").strip('"').lower()
                    md5 = etag if re.fullmatch(r"[0-9a-f]{32}", etag) else ""
                    mtime = calendar.timegm(o["LastModified"].utctimetuple())
                    problem = key_problem(rel)
                    if problem is None:
                        name = blob_name(rel)
                        full = "data/" + name
                        storage = o.get("StorageClass", "STANDARD")
                        if utf16_len(full) > AZURE_NAME_MAX:
                            problem = "the blob name would be %d characters; Azure allows %d" % (
                                utf16_len(full), AZURE_NAME_MAX)
                        elif full.count("/") + 1 > AZURE_SEGMENTS_MAX:
                            problem = "the key has more than %d path segments; Azure allows %d" % (
                                AZURE_SEGMENTS_MAX - 1, AZURE_SEGMENTS_MAX)
                        elif size > MAX_OBJECT_BYTES:
                            problem = "the object is larger than %d bytes, the largest upload with %d MiB blocks" % (
                                MAX_OBJECT_BYTES, CHUNK_BYTES >> 20)
                        elif storage in ARCHIVE_CLASSES:
                            problem = "storage class %s: objects in archive storage classes are not copied (a restored copy keeps its class)" % storage
                        out.write(tsv(json.dumps(name), size, mtime, md5, json.dumps(rel), problem or ""))
                    else:
                        skipped.add(rel, problem)
    except botocore.exceptions.ClientError as e:
        code = e.response.get("Error", {}).get("Code", "")
        if code == "NoSuchBucket":
            raise RunFailed("source bucket %s does not exist (NoSuchBucket)" % bucket)
        if code in ("AccessDenied", "403"):
            raise RunFailed("not allowed to list the source bucket %s (AccessDenied)" % bucket)
        raise RunFailed("cannot list the source bucket %s: %s" % (bucket, code or e))
    except botocore.exceptions.BotoCoreError as e:
        raise RunFailed("cannot list the source bucket %s: %s" % (bucket, e))
    return count, total




def vault_sas_url():
    if CONFIG["credential"] == "federated":
        return federated_sas_url()
    url = os.environ.get("RCLONE_CONFIG_VAULT_SAS_URL")
    if url:
        return url
    try:
        with open(rclone_config, encoding="utf-8") as f:
            section = None
            for line in f:
                line = line.strip()
                if line.startswith("["):
                    section = line.strip("[]")
                elif section == "vault" and line.startswith("sas_url"):
                    return line.split("=", 1)[1].strip()
    except OSError as e:
        raise RunFailed("cannot read the rclone config: %s" % e)
    raise RunFailed("no SAS for the vault: neither the SSM parameter nor the rclone config has one")



UDK_VERSION = "2025-11-05"
FEDERATED_SAS = {}


def federation():
    if "settings" not in FEDERATED_SAS:
        try:
            with open(os.path.join(config_dir, "federation.json"), encoding="utf-8") as f:
                FEDERATED_SAS["settings"] = json.load(f)
        except (OSError, ValueError) as e:
            raise RunFailed("cannot read the federated identity settings (federation.json): %s" % e)
    return FEDERATED_SAS["settings"]


class MintFailed(RunFailed):

    def __init__(self, msg, retry):
        RunFailed.__init__(self, msg)
        self.retry = retry


ENTRA_RETRY = re.compile(r"AADSTS(70021|700211|700212|700213)\b")


def https_call(method, url, body, headers):
    req = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError) as e:
        raise MintFailed("cannot reach %s: %s" % (urllib.parse.urlsplit(url).netloc, getattr(e, "reason", e)), True)


def transient(status):
    return status == 429 or status >= 500


def web_identity_token(fed, region):
    import botocore.session
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    creds = botocore.session.get_session().get_credentials()
    if creds is None:
        raise RunFailed("no AWS credentials for the host (instance profile) to sign GetWebIdentityToken")
    endpoint = fed.get("stsEndpoint") or "https://sts.%s.amazonaws.com" % region
    body = urllib.parse.urlencode([
        ("Action", "GetWebIdentityToken"), ("Version", "2011-06-15"),
        ("Audience.member.1", fed["audience"]), ("SigningAlgorithm", fed["signingAlgorithm"]),
        ("DurationSeconds", str(fed["tokenSeconds"])),
    ])
    req = AWSRequest(method="POST", url=endpoint.rstrip("/") + "/", data=body,
                     headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(creds.get_frozen_credentials(), "sts", region).add_auth(req)
    prepared = req.prepare()
    status, text = https_call("POST", prepared.url, body.encode("utf-8"), dict(prepared.headers))
    ns = "{https://sts.amazonaws.com/doc/2011-06-15/}"
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        raise MintFailed("AWS STS answered GetWebIdentityToken with HTTP %d and no XML" % status, transient(status))
    if status != 200:
        code = root.findtext(ns + "Error/" + ns + "Code") or ""
        raise MintFailed("AWS STS refused GetWebIdentityToken (HTTP %d %s): %s" % (
            status, code, root.findtext(ns + "Error/" + ns + "Message")), transient(status) or code == "Throttling")
    token = root.findtext(ns + "GetWebIdentityTokenResult/" + ns + "WebIdentityToken")
    if not token:
        raise RunFailed("AWS STS returned no WebIdentityToken")
    return token


def entra_access_token(fed, assertion):
    url = "%s/%s/oauth2/v2.0/token" % (fed["authority"].rstrip("/"), fed["tenantId"])
    form = urllib.parse.urlencode({
        "grant_type": "client_credentials", "client_id": fed["clientId"], "scope": fed["scope"],
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion,
    }).encode("utf-8")
    status, text = https_call("POST", url, form, {"Content-Type": "application/x-www-form-urlencoded"})
    try:
        answer = json.loads(text)
    except ValueError:
        answer = {}
    if status != 200 or "access_token" not in answer:
        detail = (answer.get("error_description") or answer.get("error") or "no token").split("\n")[0]
        detail = detail.split(" Trace ID")[0]
        raise MintFailed("Entra ID refused the host's federated token (HTTP %d): %s" % (status, detail),
                         transient(status) or bool(ENTRA_RETRY.search(detail)))
    return answer["access_token"]


def user_delegation_key(fed, access_token, start, expiry):
    body = ("<?xml version=\"1.0\" encoding=\"utf-8\"?><KeyInfo><Start>%s</Start><Expiry>%s</Expiry></KeyInfo>"
            % (start, expiry)).encode("utf-8")
    url = fed["blobEndpoint"].rstrip("/") + "/?restype=service&comp=userdelegationkey"
    status, text = https_call("POST", url, body, {
        "Authorization": "Bearer " + access_token, "x-ms-version": UDK_VERSION,
        "Content-Type": "application/xml",
    })
    if status != 200:
        code = re.search(r"<Code>([^<]*)</Code>", text)
        code = code.group(1) if code else ""
        raise MintFailed("the vault refused a user delegation key (HTTP %d %s): check the identity's role assignments" % (
            status, code), transient(status) or code in ("AuthorizationPermissionMismatch", "AuthorizationFailure"))
    root = ET.fromstring(text)
    return {k: root.findtext(k) for k in
            ("SignedOid", "SignedTid", "SignedStart", "SignedExpiry", "SignedService", "SignedVersion", "Value")}


def sign_container_sas(account, container, key, permissions, expiry, ip=""):
    fields = [permissions, "", expiry, "/blob/%s/%s" % (account, container),
              key["SignedOid"], key["SignedTid"], key["SignedStart"], key["SignedExpiry"],
              key["SignedService"], key["SignedVersion"], "", "", "", "", "", ip, "https",
              UDK_VERSION, "c", "", "", "", "", "", "", ""]
    sig = base64.b64encode(hmac.new(base64.b64decode(key["Value"]), "\n".join(fields).encode("utf-8"),
                                    hashlib.sha256).digest()).decode("ascii")
    return urllib.parse.urlencode([(k, v) for k, v in [
        ("sv", UDK_VERSION), ("sr", "c"), ("sp", permissions), ("se", expiry), ("sip", ip), ("spr", "https"),
        ("skoid", key["SignedOid"]), ("sktid", key["SignedTid"]), ("skt", key["SignedStart"]),
        ("ske", key["SignedExpiry"]), ("sks", key["SignedService"]), ("skv", key["SignedVersion"]),
        ("sig", sig),
    ] if v])


def mint_sas(fed, now):
    token = web_identity_token(fed, CONFIG["sourceRegion"])
    access = entra_access_token(fed, token)
    start, expiry = utc(now - 300), utc(now + fed["sasSeconds"])
    key = user_delegation_key(fed, access, start, expiry)
    endpoint = fed["blobEndpoint"].rstrip("/")
    account = urllib.parse.urlsplit(endpoint).path.strip("/") or urllib.parse.urlsplit(endpoint).hostname.split(".")[0]
    permissions = "racwdl" if CONFIG["mode"] == "mirror" else "racwl"
    query = sign_container_sas(account, CONFIG["container"], key, permissions, expiry, fed.get("sasIp", ""))
    log("minted a user-delegation SAS through the host's federated identity (valid until %s)" % expiry)
    return "%s/%s?%s" % (endpoint, CONFIG["container"], query)


def federated_sas_url():
    fed = federation()
    now = time.time()
    cached = FEDERATED_SAS.get("url")
    if cached and FEDERATED_SAS["expires"] - now > fed["renewBelowSeconds"]:
        return cached
    delays = fed.get("retryDelaysSeconds", [10, 30, 60, 120, 240])
    for attempt in range(len(delays) + 1):
        try:
            url = mint_sas(fed, time.time())
            FEDERATED_SAS.update(url=url, expires=time.time() + fed["sasSeconds"])
            return url
        except MintFailed as e:
            if e.retry and attempt < len(delays):
                log("%s; retrying in %s s" % (e, delays[attempt]))
                time.sleep(delays[attempt])
                continue
            if cached and FEDERATED_SAS["expires"] - time.time() > 600:
                log("%s; going on with the current SAS (valid until %s)" % (e, utc(FEDERATED_SAS["expires"])))
                return cached
            raise


def azure_request(method, url, body=None, headers=None, attempts=4):
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
        time.sleep(delay)
        delay *= 2


def vault_url(path="", query=""):
    u = urllib.parse.urlsplit(vault_sas_url())
    q = "%s&%s" % (query, u.query) if query else u.query
    return urllib.parse.urlunsplit((u.scheme, u.netloc, u.path.rstrip("/") + path, q, ""))


def list_vault(container, out_path):
    count = 0
    marker = ""
    with open(out_path, "w", encoding="utf-8") as out:
        while True:
            q = "restype=container&comp=list&prefix=data/&include=metadata&maxresults=5000"
            if marker:
                q += "&marker=" + urllib.parse.quote(marker, safe="")
            try:
                resp = azure_request("GET", vault_url(query=q))
            except RunFailed as e:
                msg = str(e)
                if msg.startswith("ContainerNotFound"):
                    raise RunFailed("vault container %s does not exist (ContainerNotFound)" % container)
                raise RunFailed("cannot list the vault container %s: %s" % (container, msg))
            marker = ""
            with resp:
                for _, el in ET.iterparse(resp, events=("end",)):
                    if el.tag == "Blob":
                        name_el = el.find("Name")
                        name = name_el.text or ""
                        if name_el.get("Encoded") == "true":
                            name = urllib.parse.unquote(name)
                        props = el.find("Properties")
                        size = int(props.findtext("Content-Length") or 0)
                        md5b64 = props.findtext("Content-MD5") or ""
                        md5 = base64.b64decode(md5b64).hex() if md5b64 else ""
                        mtime_meta = None
                        meta = el.find("Metadata")
                        if meta is not None:
                            for m in meta:
                                if m.tag.lower() == "mtime":
                                    mtime_meta = m.text
                        try:
                            mtime = epoch_of(mtime_meta) if mtime_meta else -1
                        except ValueError:
                            mtime = -1
                        out.write(tsv(json.dumps(name[len("data/"):]), size, mtime, md5))
                        count += 1
                        el.clear()
                    elif el.tag == "NextMarker":
                        marker = el.text or ""
            if not marker:
                return count


def put_status_blob(path, body):
    azure_request(
        "PUT",
        vault_url("/" + urllib.parse.quote(path)),
        body=body,
        headers={"x-ms-blob-type": "BlockBlob", "Content-Type": "application/json"},
        attempts=2,
    ).close()




def sort_file(path, tmpdir):
    subprocess.run(
        ["sort", "-t", "\t", "-k1,1", "-S", "32M", "-T", tmpdir, "-o", path, path],
        check=True,
        env=dict(os.environ, LC_ALL="C"),
    )


def rows(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            yield line.rstrip("\n").split("\t")


class Skipped:

    def __init__(self, path):
        self.count = 0
        self.first = []
        self.file = gzip.open(path, "wt", encoding="utf-8")

    def add(self, key, reason):
        reason = redact(reason)
        self.count += 1
        if len(self.first) < SUMMARY_LIST_LIMIT:
            self.first.append({"key": key, "reason": reason})
        self.file.write(json.dumps({"key": key, "reason": reason}) + "\n")

    def close(self):
        self.file.close()


class Errors:

    def __init__(self, path):
        self.count = 0
        self.first = []
        self.file = gzip.open(path, "wt", encoding="utf-8")

    def add(self, msg):
        msg = redact(msg)
        self.count += 1
        if len(self.first) < SUMMARY_LIST_LIMIT:
            self.first.append(msg)
        self.file.write(json.dumps(msg) + "\n")

    def close(self):
        self.file.close()


def load_unreadable():
    known = {}
    path = os.path.join(state_dir, "unreadable.jsonl")
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                try:
                    e = json.loads(line)
                    known[e["key"]] = e
                except (ValueError, KeyError):
                    continue
    return known


def save_unreadable(entries):
    path = os.path.join(state_dir, "unreadable.jsonl")
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        for e in entries.values():
            f.write(json.dumps(e) + "\n")
    os.replace(path + ".tmp", path)


def diff(source_path, vault_path, plan, skipped, unreadable, now):
    counts = {"unchanged": 0, "new": 0, "changed": 0, "vaultOnly": 0, "kept": 0, "bytesChanged": 0, "deferred": 0}
    seen_unreadable = set()
    src, dst = rows(source_path), rows(vault_path)
    s, d = next(src, None), next(dst, None)
    while s is not None or d is not None:
        if d is None or (s is not None and s[0] < d[0]):
            action, s_row, d_row = "new", s, None
            s = next(src, None)
        elif s is None or d[0] < s[0]:
            counts["vaultOnly"] += 1
            blob = json.loads(d[0])
            rel = decode_blob_name(blob)
            if key_problem(rel) is None and blob_name(rel) == blob:
                plan["delete"].write(rel + "\n")
            else:
                counts["kept"] += 1
                if counts["kept"] <= 20:
                    log("mirror: leaving vault blob data/%s in place (not a name this engine writes)" % json.dumps(blob))
            d = next(dst, None)
            continue
        else:
            action, s_row, d_row = "changed", s, d
            s, d = next(src, None), next(dst, None)
        _, size, mtime, md5, rel_json, problem = s_row
        rel = json.loads(rel_json)
        if d_row is not None:
            _, dsize, dmtime, dmd5 = d_row
            same = size == dsize and mtime == dmtime and (not md5 or not dmd5 or md5 == dmd5)
            if same:
                counts["unchanged"] += 1
                continue
        if problem:
            skipped.add(rel, problem)
            continue
        known = unreadable.get(rel)
        if known is not None:
            seen_unreadable.add(rel)
            if (known["size"], known["mtime"], known["md5"]) != (int(size), int(mtime), md5):
                del unreadable[rel]  # the object changed: try it again now
            elif now - known["lastTry"] < UNREADABLE_RETRY_SECONDS:
                skipped.add(rel, known["reason"] + " (last tried %s)" % utc(known["lastTry"]))
                counts["deferred"] += 1
                continue
        counts[action] += 1
        counts["bytesChanged"] += int(size)
        plan["copy"].write(tsv(json.dumps(rel), size, mtime, md5))
        if d_row is not None:
            plan["archive"].write(rel + "\n")
    for rel in [k for k in unreadable if k not in seen_unreadable]:
        del unreadable[rel]
    return counts




def probe(cfg):
    try:
        azure_request("GET", vault_url(query="restype=container&comp=list&maxresults=1"), attempts=3).close()
    except RunFailed as e:
        return "the vault: %s" % e
    try:
        s3_client(cfg["sourceRegion"]).list_objects_v2(
            Bucket=cfg["sourceBucket"], Prefix=cfg["sourcePrefix"], MaxKeys=1)
    except Exception as e:  # botocore raises several unrelated exception types
        return "the source bucket: %s" % e
    return None


def watch(proc, log_path, cfg):
    last_progress = last_probe = time.monotonic()
    moved = 0
    pos = 0
    while True:
        try:
            proc.wait(timeout=1)
            return None
        except subprocess.TimeoutExpired:
            pass
        try:
            with open(log_path, encoding="utf-8", errors="replace") as f:
                f.seek(pos)
                chunk = f.read()
                pos = f.tell()
        except OSError:
            chunk = ""
        for line in chunk.splitlines():
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            done = rec.get("stats", {}).get("bytes", 0) if isinstance(rec.get("stats"), dict) else 0
            if done > moved or str(rec.get("msg", "")).startswith(("Copied", "Moved")):
                moved = max(moved, done)
                last_progress = time.monotonic()
        now = time.monotonic()
        reason = None
        if now - last_progress > STALL_SECONDS:
            reason = "no progress for %d seconds" % STALL_SECONDS
        elif now - last_progress > PROBE_AFTER and now - last_probe > PROBE_AFTER:
            last_probe = now
            down = probe(cfg)
            if down:
                reason = "cannot reach " + down
        if reason:
            proc.kill()
            proc.wait()
            return reason


def rclone(args, log_path, cfg):
    cmd = ["rclone"] + args + [
        "--use-json-log", "--log-level", "INFO", "--log-file", log_path,
        "--stats", "10s", "--stats-log-level", "INFO",
    ]
    env = dict(os.environ, RCLONE_CONFIG=rclone_config)
    if CONFIG["credential"] == "federated":
        env["RCLONE_CONFIG_VAULT_SAS_URL"] = vault_sas_url()
    with open(log_path + ".stderr", "w") as err:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=err)
        stopped = watch(proc, log_path, cfg)
        rc = proc.returncode
    if stopped:
        os.unlink(log_path)
        os.unlink(log_path + ".stderr")
        raise RunFailed("copy stopped: " + stopped)
    records = []
    if os.path.exists(log_path):
        with open(log_path, encoding="utf-8", errors="replace") as f:
            for line in f:
                try:
                    records.append(json.loads(line))
                except ValueError:
                    if re.match(r"\d{4}/\d\d/\d\d ", line) or not records or "msg" not in records[-1]:
                        records.append({"level": "error", "msg": line.strip()})
                    elif records[-1].get("plain"):
                        records[-1]["msg"] += "\n" + line.rstrip("\n")
                    else:
                        records.append({"level": "error", "msg": line.strip(), "plain": True})
                    records[-1]["plain"] = True
    os.unlink(log_path)
    os.unlink(log_path + ".stderr")
    return rc, records


COPY_FLAGS = [
    "--no-traverse", "--no-check-dest", "--use-server-modtime", "--no-unicode-normalization",
    "--no-update-modtime", "--retries", "1", "--low-level-retries", "3",
    "--transfers", "8", "--azureblob-upload-concurrency", "1", "--azureblob-chunk-size", "16M",
]


def clean_error(msg):
    line = re.sub(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d ", "", msg.split("\n")[0])
    return re.sub(r"^(ERROR : )?(Failed to copy: )?(failed to open source object: )?", "", line)


def conflict_free(items, key=lambda x: x):
    group, names, folders = [], set(), set()
    for item in items:
        name = key(item)
        parts = name.split("/")
        prefixes = ["/".join(parts[:i]) for i in range(1, len(parts))]
        if group and (len(group) == BATCH_SIZE or name in folders or any(p in names for p in prefixes)):
            yield group
            group, names, folders = [], set(), set()
        group.append(item)
        names.add(name)
        folders.update(prefixes)
    if group:
        yield group


def batches(path, key=lambda line: line):
    with open(path, encoding="utf-8") as f:
        yield from conflict_free((line.rstrip("\n") for line in f), key)

def run_batch(kind, names, src, dst, run_dir, on_done):
    list_path = os.path.join(run_dir, "batch.lst")
    with open(list_path, "w", encoding="utf-8") as f:
        f.write("".join(n + "\n" for n in names))
    checkers = ["--checkers", str(max(16, len(names)))]
    rc, records = rclone(
        [kind, src, dst, "--files-from-raw", list_path] + COPY_FLAGS + checkers,
        os.path.join(run_dir, "batch.json"),
        CONFIG,
    )
    os.unlink(list_path)
    pending = set(names)
    general = []
    done = "Deleted" if kind == "move" else "Copied"
    for r in records:
        obj, msg, level = r.get("object"), r.get("msg", ""), r.get("level", "")
        if obj in pending and level in ("error", "critical"):
            pending.discard(obj)
            on_done(obj, "error", msg)
        elif obj in pending and msg.startswith(done):
            pending.discard(obj)
            on_done(obj, "ok", msg)
        elif level in ("error", "critical") and not obj and not msg.startswith("Attempt "):
            general.append(msg)
    pending = [n for n in names if n in pending]
    if rc == 0 or not pending:
        return [], pending
    general = [g for g in general if not re.search(r"with \d+ errors?: last error was", g)]
    return general or ["rclone exit code %d" % rc], pending


def head_objects(cfg, names):
    import botocore.exceptions
    from concurrent.futures import ThreadPoolExecutor

    client = s3_client(cfg["sourceRegion"])

    def one(name):
        try:
            return name, None, client.head_object(Bucket=cfg["sourceBucket"], Key=cfg["sourcePrefix"] + name)
        except botocore.exceptions.ClientError as e:
            status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            if status == 404:
                return name, "gone", None
            return name, "HTTP %s on HEAD (%s)" % (status, e.response.get("Error", {}).get("Code", "?")), None
        except Exception as e:  # transport errors: not the object's fault
            return name, "error: %s" % e, None

    with ThreadPoolExecutor(max_workers=16) as pool:
        yield from pool.map(one, names)


def process(kind, names, src, dst, run_dir, on_done, cfg=None):
    general, pending = run_batch(kind, names, src, dst, run_dir, on_done)
    if not general and cfg is None:
        for n in pending:
            on_done(n, "gone", "not found")
        return
    if not general:
        for name, problem, _ in head_objects(cfg, pending):
            if problem == "gone":
                on_done(name, "gone", "not found")
            else:
                on_done(name, "error", problem or "rclone reported nothing for it although it is in the source")
        return
    if cfg is None:
        for n in pending:
            on_done(n, "error", general[0])
        return
    readable = []
    for name, problem, _ in head_objects(cfg, pending):
        if problem is None:
            readable.append(name)
        elif problem == "gone":
            on_done(name, "gone", "not found")
        elif problem.startswith("HTTP 403") or problem.startswith("HTTP 400"):
            on_done(name, "lookup", problem)
        else:
            on_done(name, "error", problem)
    if readable:
        general, pending = run_batch(kind, readable, src, dst, run_dir, on_done)
        for n in pending:
            on_done(n, "error" if general else "gone", general[0] if general else "not found")



S3_METADATA = "s3metadata"


def keep_metadata(cfg, copied):
    mtimes = dict(copied)
    for rel, problem, head in head_objects(cfg, list(mtimes)):
        if problem and problem.startswith("error:"):
            yield rel, "its user metadata could not be read from S3: %s" % problem
            continue
        meta = (head or {}).get("Metadata") or {}
        if problem or not meta or calendar.timegm(head["LastModified"].utctimetuple()) != mtimes[rel]:
            continue
        path = "/data/" + urllib.parse.quote(blob_name(rel))
        try:
            with azure_request("HEAD", vault_url(path)) as props:
                headers = {k.lower(): v for k, v in props.headers.items()}
            keep = {k: v for k, v in headers.items() if k.startswith("x-ms-meta-")}
            keep["x-ms-meta-" + S3_METADATA] = urllib.parse.quote(
                json.dumps(meta, sort_keys=True, separators=(",", ":")), safe="")
            keep["If-Match"] = headers.get("etag", "*")
            azure_request("PUT", vault_url(path, "comp=metadata"), body=b"", headers=keep).close()
        except RunFailed as e:
            yield rel, "its user metadata could not be stored on the blob: %s" % e



def new_run_dir(runs):
    ns = time.time_ns()
    base = time.strftime("%Y%m%dT%H%M%S", time.gmtime(ns // 10**9)) + ".%09dZ" % (ns % 10**9)
    suffix = 0
    while True:
        run_id = base if suffix == 0 else "%s-%d" % (base, suffix)
        try:
            os.mkdir(os.path.join(runs, run_id))
            return run_id
        except FileExistsError:
            suffix += 1


def read_ssm_sas(cfg):
    cmd = ["aws", "ssm", "get-parameter", "--region", cfg["sourceRegion"], "--name", cfg["ssmParameter"],
           "--with-decryption", "--query", "Parameter.Value", "--output", "text"]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RunFailed("could not read the SAS from SSM parameter %s: %s" % (
            cfg["ssmParameter"], (p.stderr.strip().splitlines() or ["aws exit code %d" % p.returncode])[-1]))
    value = p.stdout.strip()
    if not value or value == "None":
        raise RunFailed("SSM parameter %s is empty" % cfg["ssmParameter"])
    return value


def load_ssm_sas(cfg):
    if cfg["credential"] == "ssm":
        os.environ["RCLONE_CONFIG_VAULT_SAS_URL"] = read_ssm_sas(cfg)


def backup(cfg, run_id, run_dir, summary, skipped, errors, unreadable, now):
    load_ssm_sas(cfg)

    source_list = os.path.join(run_dir, "source.tsv")
    vault_list = os.path.join(run_dir, "vault.tsv")
    log("listing the source")
    summary["sourceObjects"], summary["sourceBytes"] = list_source(cfg, source_list, skipped)
    log("listing the vault")
    summary["vaultObjects"] = list_vault(cfg["container"], vault_list)
    VAULT_REACHABLE[0] = True
    sort_file(source_list, run_dir)
    sort_file(vault_list, run_dir)

    paths = {k: os.path.join(run_dir, k + ".lst") for k in ("copy", "archive", "delete")}
    plan = {k: open(p, "w", encoding="utf-8") for k, p in paths.items()}
    try:
        counts = diff(source_list, vault_list, plan, skipped, unreadable, now)
    finally:
        for f in plan.values():
            f.close()
    os.unlink(source_list)
    os.unlink(vault_list)
    summary.update(
        vaultOnly=counts["vaultOnly"], unchanged=counts["unchanged"], new=counts["new"], changed=counts["changed"],
        bytesChanged=counts["bytesChanged"],
    )
    mirror = cfg["mode"] == "mirror"
    dest = "%s/data" % cfg["vaultRoot"]
    archive = "%s/archive/%s" % (cfg["vaultRoot"], run_id)

    if mirror:
        to_delete = counts["vaultOnly"]
        limit_share = summary["vaultObjects"] * cfg["maxDeletePercent"] // 100
        refusal = None
        if to_delete and summary["sourceObjects"] == 0:
            refusal = "the source listing is empty but the vault holds %d objects" % summary["vaultObjects"]
        elif to_delete > cfg["maxDeletes"]:
            refusal = "%d deletions exceed maxDeletes (%d)" % (to_delete, cfg["maxDeletes"])
        elif to_delete > limit_share:
            refusal = "%d deletions exceed maxDeletePercent (%d%% of %d objects)" % (
                to_delete, cfg["maxDeletePercent"], summary["vaultObjects"])
        if refusal:
            errors.add("deletion guard: %s; nothing deleted" % refusal)
        steps = [("copy", "archived", paths["archive"])]
        if not refusal:
            steps.append(("move", "deleted", paths["delete"]))
        for kind, counter, path in steps:

            def archived(name, outcome, detail, counter=counter):
                if outcome == "ok":
                    summary[counter] += 1
                elif outcome != "gone":
                    errors.add("archive %s: %s" % (name, clean_error(detail)))

            for names in batches(path):
                log("%s %d blobs to archive/%s" % ("moving" if kind == "move" else "copying", len(names), run_id))
                process(kind, names, dest, archive, run_dir, archived)

    sizes = {}
    retry = []
    refused = []

    def copied(name, outcome, detail):
        if outcome == "ok":
            summary["copied"] += 1
            summary["bytesCopied"] += sizes[name][0]
            unreadable.pop(name, None)
            done.append((name, sizes[name][1]))
        elif outcome == "gone":
            summary["vanished"] += 1
            if summary["vanished"] <= 20:
                log("%s was deleted from the source during the run" % json.dumps(name))
        elif outcome == "lookup" or (
            "failed to open source object" in detail
            and UNREADABLE.search(detail)
            and not NOT_THE_OBJECT.search(detail)
        ):
            reason = "unreadable in S3: " + clean_error(detail)
            size, mtime, md5 = sizes[name]
            unreadable[name] = {"key": name, "size": size, "mtime": mtime, "md5": md5, "reason": reason, "lastTry": now}
            refused.append(name)
            skipped.add(name, reason)
        elif len(retry) < BATCH_SIZE:
            retry.append((name, detail))
        else:
            errors.add("%s: %s" % (name, clean_error(detail)))

    source = "source:%s%s" % (cfg["sourceBucket"], "/" + cfg["sourcePrefix"].rstrip("/") if cfg["sourcePrefix"] else "")
    if summary["new"] + summary["changed"]:
        log("copying %d objects (%d bytes)" % (summary["new"] + summary["changed"], summary["bytesChanged"]))
    done = []
    for lines in batches(paths["copy"], key=lambda line: json.loads(line.split("\t", 1)[0])):
        sizes.clear()
        done.clear()
        names = []
        for line in lines:
            rel_json, size, mtime, md5 = line.split("\t")
            rel = json.loads(rel_json)
            names.append(rel)
            sizes[rel] = (int(size), int(mtime), md5)
        process("copy", names, source, dest, run_dir, copied, cfg)
        if retry:
            again = retry[:]
            retry.clear()
            log("retrying %d objects once" % len(again))
            for group in conflict_free([n for n, _ in again]):
                process("copy", group, source, dest, run_dir, copied, cfg)
            for name, detail in retry:
                errors.add("%s: %s" % (name, clean_error(detail)))
            retry.clear()
        for name, error in keep_metadata(cfg, done):
            errors.add("%s: %s" % (name, error))
    for p in paths.values():
        os.unlink(p)
    if len(refused) >= ALL_REFUSED_MIN and summary["copied"] == 0:
        for name in refused:
            unreadable.pop(name, None)
        errors.add(
            "S3 refused every object this run tried to read (%d): check the host role, the bucket's KMS key and the host clock" % len(refused)
        )





STREAM_BYTES = 1 << 20


def digest(chunks):
    h = hashlib.sha256()
    n = 0
    for c in chunks:
        h.update(c)
        n += len(c)
    return n, h.hexdigest()


def s3_chunks(cfg, rel):
    body = s3_client(cfg["sourceRegion"]).get_object(Bucket=cfg["sourceBucket"], Key=cfg["sourcePrefix"] + rel)["Body"]
    return iter(lambda: body.read(STREAM_BYTES), b"")


def blob_chunks(name):
    resp = azure_request("GET", vault_url("/data/" + urllib.parse.quote(name)))
    return iter(lambda: resp.read(STREAM_BYTES), b"")


class Sample:

    def __init__(self, k):
        self.k, self.seen, self.rows = k, 0, []

    def offer(self, row):
        self.seen += 1
        if len(self.rows) < self.k:
            self.rows.append(row)
        else:
            i = random.randrange(self.seen)
            if i < self.k:
                self.rows[i] = row


def last_success_start():
    try:
        with open(os.path.join(state_dir, "last-success.json"), encoding="utf-8") as f:
            return epoch_of(json.load(f)["started"])
    except (OSError, ValueError, KeyError):
        pass
    try:
        with azure_request("GET", vault_url("/status/last-success.json"), attempts=2) as resp:
            return epoch_of(json.load(resp)["started"])
    except (RunFailed, ValueError, KeyError):
        return None


def verify(cfg, run_dir, result, problems, release):
    import botocore.exceptions
    source_list = os.path.join(run_dir, "source.tsv")
    vault_list = os.path.join(run_dir, "vault.tsv")
    unstorable = Skipped(os.path.join(run_dir, "unstorable.jsonl.gz"))
    log("integrity: listing the source")
    result["sourceObjects"], result["sourceBytes"] = list_source(cfg, source_list, unstorable)
    log("integrity: listing the vault")
    result["vaultObjects"] = list_vault(cfg["container"], vault_list)
    VAULT_REACHABLE[0] = True
    release()
    sort_file(source_list, run_dir)
    sort_file(vault_list, run_dir)
    unstorable.close()
    result["unstorable"] = unstorable.count
    since = last_success_start()
    if since is None:
        raise RunFailed("no successful backup recorded (last-success.json on the host or in the vault): nothing to check against yet")
    result["backupSince"] = utc(since)
    unreadable = load_unreadable()
    k = cfg["integritySample"]
    hashed, unhashed = Sample(k), Sample(k)
    src, dst = rows(source_list), rows(vault_list)
    s, d = next(src, None), next(dst, None)
    while s is not None:
        while d is not None and d[0] < s[0]:
            d = next(dst, None)
        _, size, mtime, md5, rel_json, problem = s
        rel = json.loads(rel_json)
        here = d if d is not None and d[0] == s[0] else None
        s = next(src, None)
        if problem:
            result["unstorable"] += 1
            continue
        if rel in unreadable:
            result["unreadable"] += 1
            continue
        if here is None:
            kind, reason = "missing", "missing from the vault"
        elif here[1] != size:
            kind, reason = "sizeMismatch", "the blob has %s bytes, the source object %s" % (here[1], size)
        elif md5 and here[3] and md5 != here[3]:
            kind, reason = "hashMismatch", "the blob's MD5 %s differs from the source's %s" % (here[3], md5)
        elif here[2] != mtime:
            kind, reason = "mtimeMismatch", "the blob records modification time %s, the source object %s" % (
                utc(int(here[2])) if int(here[2]) >= 0 else "none", utc(int(mtime)))
        else:
            kind, reason = "present", None
        if reason and int(mtime) >= since:
            result["pending"] += 1
        elif reason:
            problems.add(rel, reason)
            result[kind] += 1
        else:
            result["present"] += 1
            if md5 and here[3]:
                result["hashMatched"] += 1
            (hashed if md5 and here[3] else unhashed).offer((rel, json.loads(here[0]), int(mtime)))
    os.unlink(source_list)
    os.unlink(vault_list)
    random.shuffle(hashed.rows)
    random.shuffle(unhashed.rows)
    n_unhashed = min(len(unhashed.rows), max(k // 2, k - len(hashed.rows)))
    picked = unhashed.rows[:n_unhashed] + hashed.rows[:k - n_unhashed]
    log("integrity: comparing %d sampled objects byte for byte" % len(picked))
    s3 = s3_client(cfg["sourceRegion"])
    for rel, name, mtime in picked:
        key = cfg["sourcePrefix"] + rel
        try:
            obj = s3.get_object(Bucket=cfg["sourceBucket"], Key=key)
        except botocore.exceptions.ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                result["pending"] += 1  # deleted since the listing
                continue
            raise RunFailed("cannot read the sampled source object %s: %s" % (json.dumps(rel), e))
        if calendar.timegm(obj["LastModified"].utctimetuple()) != mtime:
            obj["Body"].close()
            result["pending"] += 1  # changed since the listing
            continue
        try:
            a = digest(iter(lambda: obj["Body"].read(STREAM_BYTES), b""))
            b = digest(blob_chunks(name))
        except (RunFailed, OSError, botocore.exceptions.BotoCoreError) as e:
            raise RunFailed("cannot read the sampled object %s: %s" % (json.dumps(rel), e))
        result["sampled"] += 1
        result["sampledBytes"] += a[0]
        if a != b:
            problems.add(rel, "content differs from the source (%d bytes in the vault, %d in the source; SHA-256 differs)" % (b[0], a[0]))
            result["sampleMismatch"] += 1


def restore_drill(cfg, run_dir, result, problems, release):
    import botocore.exceptions
    vault_list = os.path.join(run_dir, "vault.tsv")
    log("restore drill: listing the vault")
    result["vaultObjects"] = list_vault(cfg["container"], vault_list)
    VAULT_REACHABLE[0] = True
    release()
    sample = Sample(cfg["drillSample"])
    for row in rows(vault_list):
        sample.offer(row)
    os.unlink(vault_list)
    scratch = os.path.join(run_dir, "restored")
    os.makedirs(scratch)
    log("restore drill: restoring %d sampled objects to %s" % (len(sample.rows), scratch))
    try:
        for i, (name_json, size, mtime, md5) in enumerate(sample.rows):
            name = json.loads(name_json)
            rel = decode_blob_name(name)
            if key_problem(rel) is not None or blob_name(rel) != name:
                problems.add(rel, "the blob name %s does not restore to a key exactly" % name_json)
                continue
            if int(size) > shutil.disk_usage(scratch).free - (1 << 30):
                result["tooLarge"] += 1
                continue
            path = os.path.join(scratch, str(i))
            try:
                with open(path, "wb") as f:
                    for c in blob_chunks(name):
                        f.write(c)
            except (RunFailed, OSError) as e:
                problems.add(rel, "could not be restored from the vault: %s" % e)
                continue
            got = os.path.getsize(path)
            if got != int(size):
                problems.add(rel, "restored %d bytes, the vault lists %s" % (got, size))
                continue
            try:
                head = s3_client(cfg["sourceRegion"]).head_object(Bucket=cfg["sourceBucket"], Key=cfg["sourcePrefix"] + rel)
            except botocore.exceptions.ClientError as e:
                if e.response.get("Error", {}).get("Code") in ("404", "NoSuchKey"):
                    result["sourceGone"] += 1
                    continue
                raise RunFailed("cannot read the source object %s: %s" % (json.dumps(rel), e))
            if calendar.timegm(head["LastModified"].utctimetuple()) != int(mtime):
                result["sourceChanged"] += 1
                continue
            with open(path, "rb") as f:
                restored = digest(iter(lambda: f.read(STREAM_BYTES), b""))
            try:
                source = digest(s3_chunks(cfg, rel))
            except (OSError, botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
                raise RunFailed("cannot read the source object %s: %s" % (json.dumps(rel), e))
            if restored != source:
                problems.add(rel, "the restored copy differs from the source object (SHA-256)")
                continue
            result["restored"] += 1
            result["restoredBytes"] += restored[0]
            os.unlink(path)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if sample.rows and not result["restored"] and not problems.count:
        raise RunFailed("none of the %d sampled objects could be compared with its source (gone, changed since the backup, or too large for the disk)" % len(sample.rows))


CHECKS = {
    "integrity": (verify, "last-integrity.json", {
        "backupSince": None, "sourceObjects": 0, "sourceBytes": 0, "vaultObjects": 0, "present": 0, "pending": 0,
        "unstorable": 0, "missing": 0, "sizeMismatch": 0, "hashMismatch": 0, "hashMatched": 0, "sampled": 0,
        "unreadable": 0, "mtimeMismatch": 0, "sampledBytes": 0, "sampleMismatch": 0}),
    "drill": (restore_drill, "last-drill.json", {
        "vaultObjects": 0, "restored": 0, "restoredBytes": 0, "sourceGone": 0, "sourceChanged": 0, "tooLarge": 0}),
}


def check_main(cfg, kind):
    work, name, fields = CHECKS[kind]
    runs = os.path.join(state_dir, "runs")
    os.makedirs(runs, exist_ok=True)
    lock = open(os.path.join(state_dir, "run.lock"), "w")
    fcntl.flock(lock, fcntl.LOCK_EX)  # released once the listings are taken

    def release():
        fcntl.flock(lock, fcntl.LOCK_UN)
    check_id = new_run_dir(runs)
    run_dir = os.path.join(runs, check_id)
    started = time.time()
    result = {"checkId": check_id, "kind": kind, "started": utc(started), "finished": None, "durationSeconds": 0,
              "outcome": "failure", "source": "s3://%s/%s" % (cfg["sourceBucket"], cfg["sourcePrefix"]),
              "destination": "%s/data/" % cfg["container"]}
    result.update(fields)
    result.update(mismatchCount=0, mismatches=[], error=None)
    problems = Skipped(os.path.join(run_dir, "mismatches.jsonl.gz"))
    try:
        load_ssm_sas(cfg)
        work(cfg, run_dir, result, problems, release)
    except RunFailed as e:
        result["error"] = str(e)
    except Exception as e:
        result["error"] = "internal error: %s: %s" % (type(e).__name__, e)
    finally:
        problems.close()
    result["mismatchCount"] = problems.count
    result["mismatches"] = problems.first
    if result["error"]:
        outcome, code = "failure", EXIT_FAILURE
    elif problems.count:
        outcome, code = "mismatch", EXIT_MISMATCH
    else:
        outcome, code = "match", EXIT_SUCCESS
    result.update(outcome=outcome, finished=utc(time.time()), durationSeconds=round(time.time() - started, 3))
    body = json.dumps(result, indent=2, ensure_ascii=False) + "\n"
    for path in (os.path.join(run_dir, name), os.path.join(state_dir, name)):
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            f.write(body)
        os.replace(path + ".tmp", path)
    if result["error"]:
        log("ERROR: %s failed: %s" % (kind, result["error"]))
    for m in result["mismatches"][:20]:
        log("MISMATCH %s: %s" % (json.dumps(m["key"]), m["reason"]))
    if VAULT_REACHABLE[0]:
        try:
            put_status_blob("status/" + name, body.encode("utf-8"))
        except RunFailed as e:
            log("could not publish the %s result to the vault: %s" % (kind, e))
    if kind == "integrity":
        values = [("IntegrityMismatches", problems.count, "Count"),
                  ("IntegrityCheckFailed", int(bool(result["error"])), "Count"),
                  ("IntegrityObjectsChecked", result["present"] + sum(result[k] for k in (
                      "missing", "sizeMismatch", "hashMismatch", "mtimeMismatch")), "Count"),
                  ("IntegritySampledBytes", result["sampledBytes"], "Bytes")]
    else:
        values = [("RestoreDrillFailed", int(outcome != "match"), "Count"),
                  ("RestoreDrillObjects", result["restored"], "Count"),
                  ("RestoreDrillBytes", result["restoredBytes"], "Bytes")]
    send(cfg, check_id, result, values)
    print(json.dumps({k: v for k, v in result.items() if isinstance(v, (int, str)) and k not in ("source", "destination")}),
          file=sys.stderr, flush=True)
    return code


def sas_seconds_left():
    try:
        m = re.search(r"[?&]se=([^&]+)", urllib.parse.unquote(vault_sas_url()))
    except RunFailed:
        return None
    try:
        return epoch_of(m.group(1)) - time.time() if m else None
    except ValueError:
        return None


def publish(cfg, summary):
    ok = summary["outcome"] != "failure"
    values = [("Heartbeat", int(ok), "Count"), ("RunFailed", int(not ok), "Count"),
              ("RunPartial", int(summary["outcome"] == "partial"), "Count"),
              ("SkippedObjects", summary["skippedCount"], "Count"), ("ObjectsCopied", summary["copied"], "Count"),
              ("BytesCopied", summary["bytesCopied"], "Bytes"), ("DurationSeconds", summary["durationSeconds"], "Seconds")]
    if cfg["credential"] != "federated":
        try:
            sas_left = sas_seconds_left()
        except Exception:
            sas_left = None
        if sas_left is not None:
            values.append(("CredentialSecondsLeft", round(sas_left), "Seconds"))
    send(cfg, summary["runId"], summary, values)


def send(cfg, stream, document, values):
    if not cfg.get("metricsNamespace"):
        return
    import botocore.config
    import botocore.session
    session = botocore.session.get_session()
    bounded = botocore.config.Config(connect_timeout=10, read_timeout=30, retries={"max_attempts": 3, "mode": "standard"})

    def client(name, env):
        return session.create_client(name, region_name=cfg["sourceRegion"], endpoint_url=os.environ.get(env) or None,
                                     config=bounded)
    try:
        dims = [{"Name": "Stack", "Value": cfg["stack"]}]
        client("cloudwatch", "AWS_ENDPOINT_URL_CLOUDWATCH").put_metric_data(
            Namespace=cfg["metricsNamespace"],
            MetricData=[{"MetricName": n, "Dimensions": dims, "Value": v, "Unit": u} for n, v, u in values])
    except Exception as e:
        log("metrics not published (the backup is unaffected): %s" % e)
    try:
        logs = client("logs", "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS")
        logs.create_log_stream(logGroupName=cfg["logGroup"], logStreamName=stream)
        logs.put_log_events(logGroupName=cfg["logGroup"], logStreamName=stream, logEvents=[
            {"timestamp": int(time.time() * 1000), "message": redact(json.dumps(document, ensure_ascii=False))}])
    except Exception as e:
        log("summary not sent to CloudWatch Logs (the backup is unaffected): %s" % e)


def main():
    cfg = CONFIG
    runs = os.path.join(state_dir, "runs")
    os.makedirs(runs, exist_ok=True)
    lock = open(os.path.join(state_dir, "run.lock"), "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        log("another run is in progress; not starting a second one")
        return EXIT_OVERLAP
    for d in os.listdir(runs):
        for leftover in ("batch.json", "batch.json.stderr", "batch.lst"):
            path = os.path.join(runs, d, leftover)
            if os.path.exists(path):
                os.unlink(path)
    run_id = new_run_dir(runs)
    run_dir = os.path.join(runs, run_id)
    started = time.time()
    summary = {
        "runId": run_id, "started": utc(started), "finished": None, "durationSeconds": 0,
        "outcome": "failure", "exitCode": EXIT_FAILURE, "mode": cfg["mode"],
        "source": "s3://%s/%s" % (cfg["sourceBucket"], cfg["sourcePrefix"]),
        "destination": "%s/data/" % cfg["container"],
        "sourceObjects": 0, "sourceBytes": 0, "vaultObjects": 0, "vaultOnly": 0, "unchanged": 0, "new": 0, "changed": 0,
        "copied": 0, "bytesCopied": 0, "bytesChanged": 0, "archived": 0, "deleted": 0, "vanished": 0,
        "skippedCount": 0, "skipped": [], "errorCount": 0, "errors": [],
    }
    skipped = Skipped(os.path.join(run_dir, "skipped.jsonl.gz"))
    errors = Errors(os.path.join(run_dir, "errors.jsonl.gz"))
    unreadable = load_unreadable()
    try:
        backup(cfg, run_id, run_dir, summary, skipped, errors, unreadable, int(started))
    except RunFailed as e:
        errors.add(str(e))
    except Exception as e:  # an engine bug must still leave a summary behind
        errors.add("internal error: %s: %s" % (type(e).__name__, e))
    finally:
        skipped.close()
        errors.close()
        save_unreadable(unreadable)
        for leftover in ("batch.json", "batch.json.stderr", "batch.lst"):
            if os.path.exists(os.path.join(run_dir, leftover)):
                os.unlink(os.path.join(run_dir, leftover))
    summary["skippedCount"] = skipped.count
    summary["skipped"] = skipped.first
    summary["errors"] = errors.first
    summary["errorCount"] = errors.count
    if summary["errors"]:
        outcome, code = "failure", EXIT_FAILURE
    elif skipped.count:
        outcome, code = "partial", EXIT_PARTIAL
    else:
        outcome, code = "success", EXIT_SUCCESS
    finished = time.time()
    summary.update(outcome=outcome, exitCode=code, finished=utc(finished),
                   durationSeconds=round(finished - started, 3))
    body = json.dumps(summary, indent=2, ensure_ascii=False) + "\n"
    with open(os.path.join(run_dir, "summary.json"), "w", encoding="utf-8") as f:
        f.write(body)
    with open(os.path.join(state_dir, "last-run.json.tmp"), "w", encoding="utf-8") as f:
        f.write(body)
    os.replace(os.path.join(state_dir, "last-run.json.tmp"), os.path.join(state_dir, "last-run.json"))
    if code != EXIT_FAILURE:
        shutil.copyfile(os.path.join(state_dir, "last-run.json"), os.path.join(state_dir, "last-success.json"))
    for e in summary["errors"][:20]:
        log("ERROR: " + e)
    for s in summary["skipped"][:20]:
        log("skipped %s: %s" % (json.dumps(s["key"]), s["reason"]))
    if VAULT_REACHABLE[0]:
        try:
            put_status_blob("status/last-run.json", body.encode("utf-8"))
            if code != EXIT_FAILURE:
                put_status_blob("status/last-success.json", body.encode("utf-8"))
        except RunFailed as e:
            log("could not publish the run summary to the vault: %s" % e)
    else:
        log("vault unreachable: run summary kept on the host only")
    publish(cfg, summary)
    keys = ("runId", "outcome", "exitCode", "copied", "bytesCopied", "archived", "deleted", "skippedCount", "errorCount")
    print(json.dumps({k: summary[k] for k in keys}), file=sys.stderr, flush=True)
    old = sorted(os.listdir(runs))[:-KEEP_RUN_LOGS]
    for d in old:
        shutil.rmtree(os.path.join(runs, d), ignore_errors=True)
    return code


if __name__ == "__main__":
    CHECK = {"--verify": "integrity", "--drill": "drill"}
    if sys.argv[1:] and sys.argv[1:][0] not in CHECK or len(sys.argv) > 2:
        sys.exit("usage: %s [--verify | --drill]" % sys.argv[0])
    sys.exit(check_main(CONFIG, CHECK[sys.argv[1]]) if sys.argv[1:] else main())
