# The checked-in __init__.pyi lists exactly the public names the package exports, class members included.
import ast
import inspect
import pathlib

import megakernel as mk

STUB = pathlib.Path(mk.__file__).with_name("__init__.pyi")
ALIASES = {"Buffer", "WritableBuffer", "U32Array", "U8Array", "Items", "Json", "DlDevice"}  # stub-only type aliases


def stub_tree():
    return ast.parse(STUB.read_text())


def stub_names(tree):
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign):
            names.add(node.target.id)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets)
        elif isinstance(node, ast.ImportFrom) and node.module == "":
            names.update(a.asname or a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 1:
            names.update(a.asname or a.name for a in node.names)
    return {n for n in names if not n.startswith("_")} - ALIASES


def public(names):
    return {n for n in names if not n.startswith("_")}


def test_stub_lists_every_module_name():
    exported = public(dir(mk))
    listed = stub_names(stub_tree())
    assert exported - listed == set(), "exported but missing from __init__.pyi"
    assert listed - exported == set(), "in __init__.pyi but not exported"


def test_stub_lists_every_class_member():
    for node in stub_tree().body:
        if not isinstance(node, ast.ClassDef):
            continue
        cls = getattr(mk, node.name)
        if issubclass(cls, BaseException):
            continue
        listed = set()
        for item in node.body:
            if isinstance(item, ast.FunctionDef):
                listed.add(item.name)
            elif isinstance(item, ast.AnnAssign):
                listed.add(item.target.id)
        actual = public(name for name, _ in inspect.getmembers(cls))
        assert actual - public(listed) == set(), f"{node.name}: members missing from the stub"
        assert public(listed) - actual == set(), f"{node.name}: stub members the class lacks"
