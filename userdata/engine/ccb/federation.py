"""Federated mode: a user-delegation SAS minted from the host's AWS identity.

No credential is stored anywhere. Each time the SAS runs low, the engine proves its AWS role to
Entra ID: it asks STS for a web identity token (GetWebIdentityToken, signed with the instance
role by botocore's SigV4Auth; Debian's botocore predates the call, so the query request is built
here), exchanges it at Entra for a storage access token (the managed identity's federated
credential trusts exactly this role), gets a user delegation key with that token, and signs a
container SAS with it. rclone only ever sees the SAS.
"""

import base64
import hashlib
import hmac
import json
import re
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

from . import contract
from .base import RunFailed, utc

# sv >= 2025-07-05 string-to-sign (newest version both Azure and Azurite 3.35 accept).
UDK_VERSION = "2025-11-05"
# Entra: no matching federated credential (yet: a new one takes minutes to propagate).
ENTRA_RETRY = re.compile(r"AADSTS(70021|700211|700212|700213)\b")
STS_NS = "{https://sts.amazonaws.com/doc/2011-06-15/}"


class MintFailed(RunFailed):
    """Minting the SAS failed; `retry` when waiting may help (a transient error, or a new
    federated credential or role assignment that has not propagated yet)."""

    def __init__(self, msg, retry):
        RunFailed.__init__(self, msg)
        self.retry = retry


def https_call(method, url, body, headers, service):
    """One HTTPS call to `service` (named in errors); returns (status, text). Transport failures
    may be retried."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError) as e:
        raise MintFailed("cannot reach %s (%s): %s" % (service, urllib.parse.urlsplit(url).netloc, getattr(e, "reason", e)),
                         True)


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
    status, text = https_call("POST", prepared.url, body.encode("utf-8"), dict(prepared.headers),
                              "AWS STS (GetWebIdentityToken)")
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        raise MintFailed("AWS STS answered GetWebIdentityToken with HTTP %d and no XML" % status, transient(status))
    if status != 200:
        code = root.findtext(STS_NS + "Error/" + STS_NS + "Code") or ""
        raise MintFailed("AWS STS refused GetWebIdentityToken (HTTP %d %s): %s" % (
            status, code, root.findtext(STS_NS + "Error/" + STS_NS + "Message")), transient(status) or code == "Throttling")
    token = root.findtext(STS_NS + "GetWebIdentityTokenResult/" + STS_NS + "WebIdentityToken")
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
    status, text = https_call("POST", url, form, {"Content-Type": "application/x-www-form-urlencoded"},
                              "Entra ID's token endpoint")
    try:
        answer = json_object(text)
    except ValueError:
        answer = {}
    if status != 200 or "access_token" not in answer:
        detail = (answer.get("error_description") or answer.get("error") or "no token").split("\n")[0]
        detail = detail.split(" Trace ID")[0]
        raise MintFailed("Entra ID refused the host's federated token (HTTP %d): %s" % (status, detail),
                         transient(status) or bool(ENTRA_RETRY.search(detail)))
    return answer["access_token"]


def json_object(text):
    value = json.loads(text)
    return value if isinstance(value, dict) else {}


def user_delegation_key(fed, access_token, start, expiry):
    body = ("<?xml version=\"1.0\" encoding=\"utf-8\"?><KeyInfo><Start>%s</Start><Expiry>%s</Expiry></KeyInfo>"
            % (start, expiry)).encode("utf-8")
    url = fed["blobEndpoint"].rstrip("/") + "/?restype=service&comp=userdelegationkey"
    status, text = https_call("POST", url, body, {
        "Authorization": "Bearer " + access_token, "x-ms-version": UDK_VERSION,
        "Content-Type": "application/xml",
    }, "the vault (Get User Delegation Key)")
    if status != 200:
        code = re.search(r"<Code>([^<]*)</Code>", text)
        code = code.group(1) if code else ""
        # A new role assignment takes minutes to apply: AuthorizationPermissionMismatch until then.
        raise MintFailed("the vault refused a user delegation key (HTTP %d %s): check the identity's role assignments" % (
            status, code), transient(status) or code in ("AuthorizationPermissionMismatch", "AuthorizationFailure"))
    root = ET.fromstring(text)
    return {k: root.findtext(k) for k in
            ("SignedOid", "SignedTid", "SignedStart", "SignedExpiry", "SignedService", "SignedVersion", "Value")}


def sign_container_sas(account, container, key, permissions, expiry, ip=""):
    """A user-delegation SAS for the container (sv 2025-11-05 string-to-sign: 26 lines)."""
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


def mint_sas(fed, settings, now, log):
    """The container's URL with a fresh user-delegation SAS."""
    token = web_identity_token(fed, settings.sourceRegion)
    access = entra_access_token(fed, token)
    # The key starts a little in the past (clock skew) and ends with the SAS.
    start, expiry = utc(now - 300), utc(now + fed["sasSeconds"])
    key = user_delegation_key(fed, access, start, expiry)
    endpoint = fed["blobEndpoint"].rstrip("/")
    parts = urllib.parse.urlsplit(endpoint)
    account = parts.path.strip("/") or parts.hostname.split(".")[0]
    permissions = contract.SAS_PERMISSIONS[settings.syncMode]
    query = sign_container_sas(account, settings.containerName, key, permissions, expiry, fed.get("sasIp", ""))
    log("minted a user-delegation SAS through the host's federated identity (valid until %s)" % expiry)
    return "%s/%s?%s" % (endpoint, settings.containerName, query)
