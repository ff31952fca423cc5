import dataclasses
import json
import os
import unittest

from ccb import contract, settings

from helpers import VALID, TempDirTest


class ParseTest(unittest.TestCase):
    def refused(self, doc):
        with self.assertRaises(settings.SettingsError) as ctx:
            settings.parse(doc)
        return str(ctx.exception)

    def test_accepts_a_complete_document_and_freezes_it(self):
        s = settings.parse(dict(VALID))
        self.assertEqual(s.vault_root, "vault:backup")
        self.assertEqual(s.source_label, "s3://example-bucket/")
        with self.assertRaises(dataclasses.FrozenInstanceError):
            s.syncMode = "mirror"

    def test_has_one_field_per_contract_setting_with_the_config_key_names(self):
        self.assertEqual([f.name for f in dataclasses.fields(settings.Settings)], list(contract.SETTINGS))

    def test_names_the_missing_unknown_or_invalid_setting_and_its_rule(self):
        doc = dict(VALID)
        del doc["maxDeletes"]
        self.assertEqual(self.refused(doc), "settings.json: setting maxDeletes is missing")
        self.assertIn("unknown setting mode", self.refused(dict(VALID, mode="copy")))
        self.assertEqual(self.refused(dict(VALID, syncMode="sync")),
                         'settings.json: setting syncMode must be one of copy, mirror, got "sync"')
        self.assertEqual(self.refused(dict(VALID, maxDeletePercent=101)),
                         "settings.json: setting maxDeletePercent must be at most 100, got 101")
        self.assertEqual(self.refused(dict(VALID, maxDeletes="5")),
                         'settings.json: setting maxDeletes must be an integer, got "5"')
        self.assertIn("must be an integer", self.refused(dict(VALID, restoreDrillObjects=True)))
        self.assertEqual(self.refused(dict(VALID, sourcePrefix="exports")),
                         "settings.json: setting sourcePrefix must be empty or end in '/', got \"exports\"")
        self.assertIn("credential must be one of ssm, userData, federated", self.refused(dict(VALID, credential="key")))
        self.assertIn("must hold a JSON object", self.refused([]))
        self.assertEqual(self.refused(dict(VALID, acceptedSkips="*/")),
                         'settings.json: setting acceptedSkips must be a list of non-empty strings, got "*/"')
        self.assertIn("must be a list of non-empty strings", self.refused(dict(VALID, acceptedSkips=["a", ""])))
        self.assertEqual(self.refused(dict(VALID, acceptedSkips=["k%d" % i for i in range(101)])),
                         "settings.json: setting acceptedSkips must hold at most 100 entries, got 101")
        self.assertEqual(settings.parse(dict(VALID, acceptedSkips=["*/", "old/*"])).acceptedSkips, ("*/", "old/*"))


class LoadTest(TempDirTest):
    def test_reads_settings_json_from_the_credentials_directory(self):
        with open(os.path.join(self.dir, "settings.json"), "w") as f:
            json.dump(VALID, f)
        paths = settings.Paths.from_env({"CREDENTIALS_DIRECTORY": self.dir, "STATE_DIRECTORY": "/state"})
        self.assertEqual(settings.load(paths).sourceBucket, "example-bucket")
        self.assertEqual(paths.runs, "/state/runs")

    def test_a_missing_or_broken_file_is_a_clear_failure(self):
        paths = settings.Paths(state=self.dir, config=self.dir)
        with self.assertRaisesRegex(settings.SettingsError, r"cannot read the engine's settings \(settings.json\)"):
            settings.load(paths)
        with open(os.path.join(self.dir, "settings.json"), "w") as f:
            f.write("{")
        with self.assertRaisesRegex(settings.SettingsError, "settings.json"):
            settings.load(paths)


if __name__ == "__main__":
    unittest.main()
