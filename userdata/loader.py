# ---- everything below is the fixed part of the host's entry point (userdata/loader.py) ----
#
# The sync engine is a Python package (userdata/engine/ccb) larger than EC2 lets user-data be
# (16 KB), so user-data carries only this loader: the engine travels as one bundle (a JSON
# document holding every module's source), gzipped and base64-encoded in a few standard-tier SSM
# parameters (free, 4 KB each), and the loader runs it only if the bundle matches the SHA-256
# pinned in its header. A copy that matched is kept in the state directory, so later runs make
# no SSM call; a changed engine comes with a new pin (and, since user-data changes, a new host).
# The engine holds no secret and no setting (those are in settings.json): the parameters are
# plain strings, readable only by the host's role.

import base64
import gzip
import hashlib
import importlib
import importlib.abc
import importlib.util
import json
import linecache
import os
import sys
import tempfile
import traceback


def log(msg):
    print("cross-cloud-backup: " + msg, file=sys.stderr, flush=True)


def fetch(cfg):
    """The bundle's bytes, read from the SSM parameters in order."""
    import botocore.config
    import botocore.session
    bounded = botocore.config.Config(connect_timeout=10, read_timeout=30, retries={"max_attempts": 5, "mode": "standard"})
    ssm = botocore.session.get_session().create_client(
        "ssm", region_name=cfg["region"], endpoint_url=os.environ.get("AWS_ENDPOINT_URL_SSM") or None, config=bounded)
    names, values, missing = cfg["parameters"], {}, []
    for i in range(0, len(names), 10):  # GetParameters takes at most 10 names
        got = ssm.get_parameters(Names=names[i:i + 10])
        missing += got.get("InvalidParameters") or []
        values.update((p["Name"], p["Value"]) for p in got["Parameters"])
    if missing:
        raise ValueError("SSM parameters not found: %s (run pulumi up)" % ", ".join(missing))
    return gzip.decompress(base64.b64decode("".join(values[n] for n in cfg["parameters"]), validate=True))


class BundleFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves the bundle's modules from memory, ahead of anything installed on the host, so the
    engine that runs is exactly the bundle that was checked."""

    def __init__(self, bundle, origin):
        self.modules = bundle["modules"]
        self.packages = set(bundle["packages"])
        self.origin = origin

    def find_spec(self, name, path=None, target=None):
        if name not in self.modules:
            return None
        is_package = name in self.packages
        filename = "%s/%s%s" % (self.origin, name.replace(".", "/"), "/__init__.py" if is_package else ".py")
        spec = importlib.util.spec_from_loader(name, self, origin=filename, is_package=is_package)
        spec.has_location = True
        return spec

    def create_module(self, spec):
        return None

    def get_source(self, name):
        """The module's source (tracebacks and inspect read it through the loader)."""
        return self.modules[name]

    def exec_module(self, module):
        spec = module.__spec__
        source = self.modules[spec.name]
        # Tracebacks show the bundle's lines.
        linecache.cache[spec.origin] = (len(source), None, source.splitlines(True), spec.origin)
        module.__file__ = spec.origin
        exec(compile(source, spec.origin, "exec"), module.__dict__)


def run(body, origin):
    """Runs the checked bundle's entry point with the loader's arguments."""
    try:
        bundle = json.loads(body.decode("utf-8"))
        if bundle.get("format") != 1 or bundle.get("entry") not in bundle.get("modules", {}):
            raise ValueError("not an engine bundle of format 1 with its entry module")
    except (ValueError, AttributeError) as e:
        log("the sync engine bundle cannot be run (%s): %s" % (type(e).__name__, e))
        return 1
    sys.meta_path.insert(0, BundleFinder(bundle, origin))
    return importlib.import_module(bundle["entry"]).main(sys.argv[1:])


def keep(state, path, body):
    """Keeps the checked bundle for the next runs; a unit starting at the same moment writes its
    own temporary file."""
    os.makedirs(state, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=state, prefix=".engine-")
    with os.fdopen(fd, "wb") as f:
        f.write(body)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    for old in os.listdir(state):
        if old.startswith("engine-") and old.endswith((".py", ".json")) and os.path.join(state, old) != path:
            os.unlink(os.path.join(state, old))


def main():
    cfg = LOADER
    state = os.environ.get("STATE_DIRECTORY", "/var/lib/cross-cloud-backup")
    path = os.path.join(state, "engine-%s.json" % cfg["sha256"][:16])
    try:
        with open(path, "rb") as f:
            body = f.read()
    except FileNotFoundError:
        body = b""
    if hashlib.sha256(body).hexdigest() != cfg["sha256"]:
        try:
            body = fetch(cfg)
        except Exception as e:
            log("cannot read the sync engine from SSM Parameter Store: %s: %s" % (type(e).__name__, e))
            return 1
        got = hashlib.sha256(body).hexdigest()
        if got != cfg["sha256"]:
            log("the sync engine in SSM Parameter Store has SHA-256 %s, not the %s this host expects: "
                "not running it (the parameters were changed outside pulumi up?)" % (got, cfg["sha256"]))
            return 1
        keep(state, path, body)
    # Run exactly the bytes that were checked (not the file, which could change in between).
    # The engine names itself in every content record it writes by this digest.
    os.environ["CCB_ENGINE"] = cfg["sha256"][:16]
    try:
        return run(body, path)
    except Exception:
        # Python's own handler reads source lines from disk, where the bundle's modules are not;
        # the traceback module reads them through the loader (get_source).
        traceback.print_exc()
        return 1


if __name__ == "__main__":
    sys.exit(main())
