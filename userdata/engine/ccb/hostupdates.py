"""Security updates the host has not installed yet, counted at the start of every run.

apt's own simulation of an upgrade needs no root, no network and no lock: it reads the package
lists apt-daily last fetched, and honours the host's apt pins. unattended-upgrades installs these
daily; a count that stays up says it is not working. Never fails a run: None when apt cannot tell.
"""

import os
import re
import subprocess

SHOWN = 20
APT_TIMEOUT_SECONDS = 120
# Inst openssl [3.0.11-1~deb12u1] (3.0.11-1~deb12u2 Debian:12.4/stable, Debian-Security:12/stable-security [amd64])
_INST = re.compile(r"^Inst (\S+) (?:\[[^\]]*\] )?\(\S+ (.*?) \[[^\]]*\]\)")


def is_security(release):
    """A release of `apt-get -s` ("Label:version/archive") that is Debian's security archive."""
    label, _, archive = release.partition(":")
    return label == "Debian-Security" or archive.endswith("-security")


def parse(text):
    """Names of the packages an `apt-get -s upgrade` output would take from a security release."""
    names = []
    for line in text.splitlines():
        m = _INST.match(line)
        if m and any(is_security(r.strip()) for r in m.group(2).split(",")):
            names.append(m.group(1))
    return names


def pending(run=subprocess.run):
    """(count, the first SHOWN names), or (None, []) when apt could not tell."""
    try:
        done = run(["apt-get", "-s", "-o", "Debug::NoLocking=true", "upgrade"], capture_output=True, text=True,
                   errors="replace", timeout=APT_TIMEOUT_SECONDS, env=dict(os.environ, LC_ALL="C"))
    except (OSError, subprocess.SubprocessError):
        return None, []
    if done.returncode != 0:
        return None, []
    names = sorted(set(parse(done.stdout)))
    return len(names), names[:SHOWN]
