"""The engine stays in small parts: no module over 400 lines, no function over 60 (measured with
Python's ast, so docstrings count and blank lines at the end do not). Prints the largest."""

import ast
import os
import sys
import unittest

import ccb

MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
PACKAGE = os.path.dirname(ccb.__file__)


def measure():
    """(module lines by file, function lines by qualified name)."""
    modules, functions = {}, {}
    for name in sorted(os.listdir(PACKAGE)):
        if not name.endswith(".py"):
            continue
        with open(os.path.join(PACKAGE, name), encoding="utf-8") as f:
            source = f.read()
        tree = ast.parse(source)
        modules[name] = max((n.end_lineno for n in tree.body), default=0)
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                functions["%s:%s" % (name, node.name)] = node.end_lineno - node.lineno + 1
    return modules, functions


class StructureTest(unittest.TestCase):
    def test_no_module_over_400_lines_and_no_function_over_60(self):
        modules, functions = measure()
        self.assertGreater(len(modules), 10, "the package was found")
        top_module = max(modules.items(), key=lambda kv: kv[1])
        top_function = max(functions.items(), key=lambda kv: kv[1])
        print("\n  largest module: %s (%d lines); largest function: %s (%d lines)" % (top_module + top_function),
              file=sys.stderr)
        self.assertEqual({k: v for k, v in modules.items() if v > MAX_MODULE_LINES}, {})
        self.assertEqual({k: v for k, v in functions.items() if v > MAX_FUNCTION_LINES}, {})

    def test_no_module_keeps_state_in_mutable_globals(self):
        """Settings are one frozen object and everything else is passed along: module-level
        names hold constants (strings, numbers, tuples, compiled patterns, read-only mappings),
        never a list, dict or set that a run could change."""
        offenders = []
        for name in sorted(os.listdir(PACKAGE)):
            if not name.endswith(".py") or name == "contract.py":
                continue
            with open(os.path.join(PACKAGE, name), encoding="utf-8") as f:
                tree = ast.parse(f.read())
            for node in tree.body:
                mutable = (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp)
                if isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(node.value, mutable):
                    offenders.append("%s:%d" % (name, node.lineno))
        self.assertEqual(offenders, [])


if __name__ == "__main__":
    unittest.main()
