import os
import time

from ccb import base, credentials, settings

from helpers import TempDirTest, make_settings


class CredentialsTest(TempDirTest):
    def creds(self, kind, env=None, conf=None):
        if conf is not None:
            self.write("rclone.conf", [conf])
        paths = settings.Paths(state=self.dir, config=self.dir)
        return credentials.Credentials(make_settings(credential=kind), paths, env or {})

    def test_user_data_delivery_reads_the_vault_section_of_the_rclone_config(self):
        conf = "[source]\nsas_url = wrong\n[vault]\ntype = azureblob\nsas_url = https://a/backup?sv=1&sig=FAKE\n"
        c = self.creds("userData", conf=conf)
        self.assertEqual(c.sas_url(), "https://a/backup?sv=1&sig=FAKE")
        self.assertEqual(c.rclone_env(), {})

    def test_an_environment_override_wins_and_a_missing_sas_is_a_clear_failure(self):
        c = self.creds("userData", env={"RCLONE_CONFIG_VAULT_SAS_URL": "https://b/backup?sig=X"}, conf="[vault]\n")
        self.assertEqual(c.sas_url(), "https://b/backup?sig=X")
        with self.assertRaisesRegex(base.RunFailed, "no SAS for the vault"):
            self.creds("userData", conf="[vault]\ntype = azureblob\n").sas_url()

    def test_seconds_left_reads_the_sas_expiry(self):
        expiry = base.utc(time.time() + 7200)
        c = self.creds("userData", env={"RCLONE_CONFIG_VAULT_SAS_URL": "https://b/c?se=%s&sig=X" % expiry})
        self.assertAlmostEqual(c.seconds_left(), 7200, delta=5)
        self.assertIsNone(self.creds("userData", env={"RCLONE_CONFIG_VAULT_SAS_URL": "https://b/c?sig=X"}).seconds_left())

    def ssm_creds(self, value, kind="SecureString", **overrides):
        bin_dir = os.path.join(self.dir, "bin")
        os.makedirs(bin_dir, exist_ok=True)
        with open(os.path.join(bin_dir, "aws"), "w") as f:
            f.write("#!/bin/sh\nprintf '%%s\\t%%s\\n' '%s' '%s'\n" % (kind, value))
        os.chmod(os.path.join(bin_dir, "aws"), 0o755)
        paths = settings.Paths(state=self.dir, config=self.dir)
        return credentials.Credentials(make_settings(credential="ssm", **overrides), paths,
                                       {"PATH": bin_dir + ":/usr/bin:/bin"})

    def test_ssm_delivery_refuses_a_sas_for_any_other_place_than_the_vault_container(self):
        # Someone with ssm:PutParameter swaps in a SAS for their own account: refused before any
        # copy, naming where it points but never its query (the SAS).
        for value, where in [
            ("https://attacker.blob.core.windows.net/backup?sig=FAKEother", "https://attacker.blob.core.windows.net/backup"),
            ("https://v/other?sig=FAKEother", "https://v/other"),
            ("http://v/backup?sig=FAKEother", "http://v/backup"),
            ("https://v/backup/data?sig=FAKEother", "https://v/backup/data"),
            ("https://user:FAKEpw@v/backup?sig=FAKEother", "https://(user info)@v/backup"),
        ]:
            c = self.ssm_creds(value)
            with self.assertRaises(base.RunFailed) as e:
                c.load_ssm()
            msg = str(e.exception)
            self.assertIn("points to %s, not to this stack's vault container https://v/backup" % where, msg)
            self.assertIn("/cross-cloud-backup/dev/vault-sas-url", msg)
            self.assertNotIn("FAKE", msg)
        # The same container, whatever the case of its host or a trailing '/': accepted.
        for value in ["https://V/backup/?sig=FAKEok", "https://v/backup?sig=FAKEok"]:
            c = self.ssm_creds(value)
            c.load_ssm()
            self.assertEqual(c.sas_url(), value)

    def test_ssm_delivery_refuses_a_parameter_recreated_as_a_plain_string_or_holding_white_space(self):
        # A String needs no key: whoever may delete and put the parameter could skip its KMS key.
        c = self.ssm_creds("https://v/backup?sig=FAKEok", kind="String")
        with self.assertRaisesRegex(base.RunFailed, "it is a String, not the SecureString the program writes"):
            c.load_ssm()
        # urllib drops a tab or a line break that rclone would not: never check one string and use another.
        for value in ["https://v/backup?sig=FAKE\thttps://evil/x", "https://v/back\tup?sig=FAKE"]:
            c = self.ssm_creds(value)
            with self.assertRaises(base.RunFailed) as e:
                c.load_ssm()
            self.assertIn("white space or a line break", str(e.exception))
            self.assertNotIn("FAKE", str(e.exception))

    def test_ssm_delivery_without_a_pinned_container_refuses_to_run(self):
        c = self.ssm_creds("https://v/backup?sig=FAKEok", vaultContainerUrl="")
        with self.assertRaisesRegex(base.RunFailed, "names no vault container \\(vaultContainerUrl\\)"):
            c.load_ssm()

    def test_ssm_delivery_reads_the_parameter_once_and_hands_it_to_rclone(self):
        bin_dir = os.path.join(self.dir, "bin")
        os.mkdir(bin_dir)
        calls = os.path.join(self.dir, "calls")
        with open(os.path.join(bin_dir, "aws"), "w") as f:
            f.write('#!/bin/sh\necho "$*" >> %s\nprintf "SecureString\\thttps://v/backup?sig=FAKEssm\\n"\n' % calls)
        os.chmod(os.path.join(bin_dir, "aws"), 0o755)
        c = self.creds("ssm", env={"PATH": bin_dir + ":/usr/bin:/bin"})
        c.load_ssm()
        self.assertEqual(c.sas_url(), "https://v/backup?sig=FAKEssm")
        self.assertEqual(c.rclone_env(), {"RCLONE_CONFIG_VAULT_SAS_URL": "https://v/backup?sig=FAKEssm"})
        with open(calls) as f:
            self.assertEqual(len(f.readlines()), 1)
