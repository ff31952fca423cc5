"""How the engine gets the vault's SAS URL, by credential kind: minted through the host's
federated identity, read from the SSM parameter once a run (the AWS CLI), or from the rclone
config (user-data delivery). One object per process; it keeps the federated SAS it minted."""

import json
import os
import re
import subprocess
import time
import urllib.parse

from . import federation
from .base import RunFailed, epoch_of, log, utc

DEFAULT_RETRY_DELAYS = (10, 30, 60, 120, 240)


class Credentials:
    def __init__(self, settings, paths, env=None, sleep=time.sleep):
        self.settings = settings
        self.paths = paths
        self.env = os.environ if env is None else env
        self.sleep = sleep
        self._ssm_url = None
        self._federation = None
        self._minted = None  # (url, expires epoch)

    def load_ssm(self):
        """SAS mode with SSM delivery: the SAS, read once a run, for rclone and the engine alike."""
        if self.settings.credential == "ssm":
            self._ssm_url = self._read_ssm()

    def _read_ssm(self):
        name = self.settings.ssmParameterName
        cmd = ["aws", "ssm", "get-parameter", "--region", self.settings.sourceRegion, "--name", name,
               "--with-decryption", "--query", "Parameter.[Type,Value]", "--output", "text"]
        p = subprocess.run(cmd, capture_output=True, text=True, env=dict(self.env))
        if p.returncode != 0:
            raise RunFailed("could not read the SAS from SSM parameter %s: %s" % (
                name, (p.stderr.strip().splitlines() or ["aws exit code %d" % p.returncode])[-1]))
        kind, _, value = p.stdout.rstrip("\n").partition("\t")
        if not value or value == "None":
            raise RunFailed("SSM parameter %s is empty" % name)
        problem = parameter_problem(kind, value) or foreign_vault(value, self.settings.vaultContainerUrl)
        if problem:
            raise RunFailed("SSM parameter %s: %s; refusing to copy anything (whoever may write "
                            "the parameter could send the backup elsewhere)" % (name, problem))
        return value

    def sas_url(self):
        """The container URL with its SAS, for the engine's own requests."""
        if self.settings.credential == "federated":
            return self._federated_sas_url()
        url = self._ssm_url or self.env.get("RCLONE_CONFIG_VAULT_SAS_URL")
        return url or self._rclone_config_sas()

    def rclone_env(self):
        """What rclone's environment needs beyond the config file: the SAS it should use."""
        if self.settings.credential == "federated":
            # Every rclone run starts with a SAS that outlives it by renewBelowSeconds at least.
            return {"RCLONE_CONFIG_VAULT_SAS_URL": self._federated_sas_url()}
        if self._ssm_url:
            return {"RCLONE_CONFIG_VAULT_SAS_URL": self._ssm_url}
        return {}

    def _rclone_config_sas(self):
        try:
            with open(self.paths.rclone_config, encoding="utf-8") as f:
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

    def seconds_left(self):
        """SAS mode: seconds until the vault SAS expires (its se= field), else None."""
        try:
            m = re.search(r"[?&]se=([^&]+)", urllib.parse.unquote(self.sas_url()))
        except RunFailed:
            return None
        try:
            return epoch_of(m.group(1)) - time.time() if m else None
        except ValueError:
            return None

    def _federation_settings(self):
        if self._federation is None:
            try:
                with open(self.paths.config_file("federation.json"), encoding="utf-8") as f:
                    self._federation = json.load(f)
            except (OSError, ValueError) as e:
                raise RunFailed("cannot read the federated identity settings (federation.json): %s" % e)
        return self._federation

    def _federated_sas_url(self):
        """The container URL with a user-delegation SAS that has at least renewBelowSeconds left.
        Transient failures and not-yet-propagated grants are retried with backoff; if renewing
        still fails while the current SAS has 10 minutes or more left, the run goes on with it."""
        fed = self._federation_settings()
        cached = self._minted
        if cached and cached[1] - time.time() > fed["renewBelowSeconds"]:
            return cached[0]
        delays = fed.get("retryDelaysSeconds", DEFAULT_RETRY_DELAYS)
        for attempt in range(len(delays) + 1):
            try:
                url = federation.mint_sas(fed, self.settings, time.time(), log)
                self._minted = (url, time.time() + fed["sasSeconds"])
                return url
            except federation.MintFailed as e:
                if e.retry and attempt < len(delays):
                    log("%s; retrying in %s s" % (e, delays[attempt]))
                    self.sleep(delays[attempt])
                    continue
                if cached and cached[1] - time.time() > 600:
                    log("%s; going on with the current SAS (valid until %s)" % (e, utc(cached[1])))
                    return cached[0]
                raise


def _place(url):
    """(scheme, host, path) of a URL, lower-case where Azure ignores case, without its query."""
    parts = urllib.parse.urlsplit(url)
    host = (parts.hostname or "") + (":%d" % parts.port if parts.port else "")
    if parts.username is not None:  # user info: never a vault's URL, and never shown
        host = "(user info)@" + host
    return parts.scheme.lower(), host, parts.path.rstrip("/")


def parameter_problem(kind, value):
    """Why the parameter cannot be the SAS the program wrote, or None. The program writes a
    SecureString under its own key; a String (recreated by whoever may delete and put it) needs
    no key at all. White space would be read differently by urllib (which drops it) and rclone."""
    if kind != "SecureString":
        return "it is a %s, not the SecureString the program writes" % (kind or "parameter of no type")
    if re.search(r"\s", value):
        return "it holds white space or a line break, which no SAS URL has"
    return None


def foreign_vault(sas_url, pinned):
    """Why a SAS URL does not point at the stack's vault container, or None when it does. The
    message names the place it points to, never its query (the SAS)."""
    if not pinned:
        return "settings.json names no vault container (vaultContainerUrl) to check the SAS URL against"
    try:
        got = _place(sas_url)
    except ValueError:
        return "it does not hold a URL"
    want = _place(pinned)
    if got != want:
        return "it points to %s://%s%s, not to this stack's vault container %s://%s%s" % (got + want)
    return None
