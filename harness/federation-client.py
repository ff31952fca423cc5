#!/usr/bin/python3 -I
"""Keyless-access client steps as the sync host performs them, for tests against the stand-ins.

Runs with Debian's python3 and python3-botocore 1.29 (the host's packages): botocore 1.29
predates sts:GetWebIdentityToken, so the query-protocol request is built by hand and signed with
botocore's own SigV4Auth. Everything else is the standard library. One JSON object on stdin,
one JSON object on stdout; HTTP errors are results, not exceptions.

Commands (argv[1]):
  sts     GetWebIdentityToken at a regional STS endpoint
          in: endpoint, region, accessKeyId, secretAccessKey, sessionToken?, audience[],
              signingAlgorithm?, durationSeconds?, cafile?
              test knobs: signRegion?, omitAuth?, tamperSignature?, omitSessionToken?
          out: status, body, token?, expiration?, errorType?, errorCode?, errorMessage?, requestId?
  entra   client-credentials token request with the STS JWT as client assertion
          in: authority, tenant, clientId, assertion, scope?, cafile?, assertionType?
          out: status, json
  udk     Get User Delegation Key with a bearer token
          in: blobEndpoint, accessToken?, start, expiry, version?, cafile?
          out: status, body, key? {signedOid, signedTid, signedStart, signedExpiry,
               signedService, signedVersion, value}
  sas     a user-delegation SAS (query string) for a container or a blob
          in: account, container, blob?, key (as returned by udk), permissions, start?, expiry,
              protocol?, version?
          out: sas, stringToSign
  chain   sts -> entra -> udk -> sas in one go (what the engine will do)
          in: {sts: ..., entra: ... (without assertion), udk: ... (without accessToken),
               sas: ... (without key)}
          out: {sts, entra, udk, sas}
"""
import base64
import datetime
import hashlib
import hmac
import json
import ssl
import sys
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

STS_NS = "{https://sts.amazonaws.com/doc/2011-06-15/}"
# The newest x-ms-version Azurite 3.35 accepts (also valid on Azure); it selects the
# user-delegation SAS string-to-sign layout below.
STORAGE_VERSION = "2025-11-05"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def http(method, url, headers, body, cafile):
    context = ssl.create_default_context(cafile=cafile) if url.startswith("https:") else None
    req = urllib.request.Request(url, data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, context=context, timeout=30) as res:
            return res.status, res.read().decode("utf-8")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode("utf-8")


def sts(p):
    params = [("Action", "GetWebIdentityToken"), ("Version", "2011-06-15")]
    for i, aud in enumerate(p["audience"], start=1):
        params.append((f"Audience.member.{i}", aud))
    if p.get("signingAlgorithm") is not None:
        params.append(("SigningAlgorithm", p["signingAlgorithm"]))
    if p.get("durationSeconds") is not None:
        params.append(("DurationSeconds", str(p["durationSeconds"])))
    body = urllib.parse.urlencode(params)
    request = AWSRequest(
        method="POST",
        url=p["endpoint"].rstrip("/") + "/",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    if not p.get("omitAuth"):
        creds = Credentials(p["accessKeyId"], p["secretAccessKey"], p.get("sessionToken"))
        SigV4Auth(creds, "sts", p.get("signRegion") or p["region"]).add_auth(request)
    prepared = request.prepare()
    headers = dict(prepared.headers)
    if p.get("tamperSignature"):
        auth = headers["Authorization"]
        last = auth[-1]
        headers["Authorization"] = auth[:-1] + ("0" if last != "0" else "1")
    if p.get("omitSessionToken"):
        headers.pop("X-Amz-Security-Token", None)
    body = prepared.body.encode("utf-8") if isinstance(prepared.body, str) else prepared.body
    status, text = http("POST", prepared.url, headers, body, p.get("cafile"))
    out = {"status": status, "body": text}
    root = ET.fromstring(text)
    if status == 200:
        result = root.find(f"{STS_NS}GetWebIdentityTokenResult")
        out["token"] = result.findtext(f"{STS_NS}WebIdentityToken")
        out["expiration"] = result.findtext(f"{STS_NS}Expiration")
        out["requestId"] = root.findtext(f"{STS_NS}ResponseMetadata/{STS_NS}RequestId")
    else:
        error = root.find(f"{STS_NS}Error")
        out["errorType"] = error.findtext(f"{STS_NS}Type")
        out["errorCode"] = error.findtext(f"{STS_NS}Code")
        out["errorMessage"] = error.findtext(f"{STS_NS}Message")
        out["requestId"] = root.findtext(f"{STS_NS}RequestId")
    return out


def entra(p):
    form = {
        "grant_type": "client_credentials",
        "client_id": p["clientId"],
        "client_assertion_type": p.get("assertionType", JWT_BEARER),
        "client_assertion": p["assertion"],
        "scope": p.get("scope", "https://storage.azure.com/.default"),
    }
    url = f"{p['authority'].rstrip('/')}/{p['tenant']}/oauth2/v2.0/token"
    status, text = http(
        "POST",
        url,
        {"Content-Type": "application/x-www-form-urlencoded"},
        urllib.parse.urlencode(form).encode("utf-8"),
        p.get("cafile"),
    )
    return {"status": status, "json": json.loads(text)}


def udk(p):
    body = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f"<KeyInfo><Start>{p['start']}</Start><Expiry>{p['expiry']}</Expiry></KeyInfo>"
    ).encode("utf-8")
    headers = {
        "x-ms-version": p.get("version", STORAGE_VERSION),
        "x-ms-date": datetime.datetime.now(datetime.timezone.utc).strftime(
            "%a, %d %b %Y %H:%M:%S GMT"
        ),
        "Content-Type": "application/xml",
    }
    if p.get("accessToken"):
        headers["Authorization"] = f"Bearer {p['accessToken']}"
    url = f"{p['blobEndpoint'].rstrip('/')}/?restype=service&comp=userdelegationkey"
    status, text = http("POST", url, headers, body, p.get("cafile"))
    out = {"status": status, "body": text}
    if status == 200:
        root = ET.fromstring(text)
        out["key"] = {
            "signedOid": root.findtext("SignedOid"),
            "signedTid": root.findtext("SignedTid"),
            "signedStart": root.findtext("SignedStart"),
            "signedExpiry": root.findtext("SignedExpiry"),
            "signedService": root.findtext("SignedService"),
            "signedVersion": root.findtext("SignedVersion"),
            "value": root.findtext("Value"),
        }
    return out


def sas(p):
    """User-delegation SAS, string-to-sign for sv >= 2025-07-05 (26 lines; empty ones kept)."""
    key = p["key"]
    version = p.get("version", STORAGE_VERSION)
    blob = p.get("blob")
    resource = "b" if blob else "c"
    canonical = f"/blob/{p['account']}/{p['container']}" + (f"/{blob}" if blob else "")
    fields = [
        p["permissions"],  # sp
        p.get("start", ""),  # st
        p["expiry"],  # se
        canonical,
        key["signedOid"],  # skoid
        key["signedTid"],  # sktid
        key["signedStart"],  # skt
        key["signedExpiry"],  # ske
        key["signedService"],  # sks
        key["signedVersion"],  # skv
        "",  # saoid (signedAuthorizedUserObjectId)
        "",  # suoid (signedUnauthorizedUserObjectId)
        "",  # scid (signedCorrelationId)
        "",  # sktdid (signedKeyDelegatedUserTenantId)
        "",  # sduoid (signedDelegatedUserObjectId)
        "",  # sip
        p.get("protocol", "https"),  # spr
        version,  # sv
        resource,  # sr
        "",  # snapshot / version time
        "",  # ses
        "",  # rscc
        "",  # rscd
        "",  # rsce
        "",  # rscl
        "",  # rsct
    ]
    string_to_sign = "\n".join(fields)
    sig = base64.b64encode(
        hmac.new(base64.b64decode(key["value"]), string_to_sign.encode("utf-8"), hashlib.sha256).digest()
    ).decode("ascii")
    query = [
        ("sv", version),
        ("sr", resource),
        ("sp", p["permissions"]),
        ("st", p.get("start")),
        ("se", p["expiry"]),
        ("spr", p.get("protocol", "https")),
        ("skoid", key["signedOid"]),
        ("sktid", key["signedTid"]),
        ("skt", key["signedStart"]),
        ("ske", key["signedExpiry"]),
        ("sks", key["signedService"]),
        ("skv", key["signedVersion"]),
        ("sig", sig),
    ]
    return {
        "sas": urllib.parse.urlencode([(k, v) for k, v in query if v]),
        "stringToSign": string_to_sign,
    }


def chain(p):
    out = {"sts": sts(p["sts"])}
    if out["sts"]["status"] != 200:
        return out
    out["entra"] = entra({**p["entra"], "assertion": out["sts"]["token"]})
    if out["entra"]["status"] != 200:
        return out
    out["udk"] = udk({**p["udk"], "accessToken": out["entra"]["json"]["access_token"]})
    if out["udk"]["status"] != 200:
        return out
    out["sas"] = sas({**p["sas"], "key": out["udk"]["key"]})
    return out


COMMANDS = {"sts": sts, "entra": entra, "udk": udk, "sas": sas, "chain": chain}

if __name__ == "__main__":
    result = COMMANDS[sys.argv[1]](json.load(sys.stdin))
    json.dump(result, sys.stdout)
