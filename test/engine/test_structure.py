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
# Calls that make a container a run could change; module state hides in them.
MUTABLE_CALLS = {"dict", "list", "set", "defaultdict", "OrderedDict", "Counter", "deque"}
CACHES = {"lru_cache", "cache", "cached_property"}


def modules():
    for name in sorted(os.listdir(PACKAGE)):
        if name.endswith(".py"):
            with open(os.path.join(PACKAGE, name), encoding="utf-8") as f:
                yield name, ast.parse(f.read())


def functions(tree, prefix):
    """(qualified name, lines) of every function, methods as Class.method."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield prefix + node.name, node.end_lineno - node.lineno + 1
            yield from functions(node, prefix + node.name + ".")
        elif isinstance(node, ast.ClassDef):
            yield from functions(node, prefix + node.name + ".")


def measure():
    """(module lines by file, function lines by file:qualified name)."""
    sizes, funcs = {}, {}
    for name, tree in modules():
        sizes[name] = max((n.end_lineno for n in tree.body), default=0)
        for qualified, lines in functions(tree, name + ":"):
            funcs[qualified] = lines
    return sizes, funcs


def called(node):
    f = node.func if isinstance(node, ast.Call) else None
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None


class StructureTest(unittest.TestCase):
    def test_no_module_over_400_lines_and_no_function_over_60(self):
        sizes, funcs = measure()
        self.assertGreater(len(sizes), 10, "the package was found")
        self.assertIn("plan.py:Planner.__init__", funcs)
        self.assertIn("rclone.py:Rclone.__init__", funcs)
        top_module = max(sizes.items(), key=lambda kv: kv[1])
        top_function = max(funcs.items(), key=lambda kv: kv[1])
        print("\n  largest module: %s (%d lines); largest function: %s (%d lines)" % (top_module + top_function),
              file=sys.stderr)
        self.assertEqual({k: v for k, v in sizes.items() if v > MAX_MODULE_LINES}, {})
        self.assertEqual({k: v for k, v in funcs.items() if v > MAX_FUNCTION_LINES}, {})

    def test_no_module_keeps_state(self):
        """Settings are one frozen object and everything else is passed along: module-level
        names hold constants (strings, numbers, tuples, compiled patterns, read-only mappings),
        never a list, dict or set a run could change, and no function caches across runs."""
        offenders = []
        for name, tree in modules():
            for node in tree.body:
                value = getattr(node, "value", None) if isinstance(node, (ast.Assign, ast.AnnAssign)) else None
                if isinstance(value, (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp)) or (
                        called(value) in MUTABLE_CALLS):
                    offenders.append("%s:%d" % (name, node.lineno))
            for node in ast.walk(tree):
                for d in getattr(node, "decorator_list", []):
                    if called(d) in CACHES or (isinstance(d, ast.Name) and d.id in CACHES) or (
                            isinstance(d, ast.Attribute) and d.attr in CACHES):
                        offenders.append("%s:%d cache" % (name, d.lineno))
        self.assertEqual(offenders, [])


if __name__ == "__main__":
    unittest.main()
