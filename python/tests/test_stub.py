# The checked-in __init__.pyi lists exactly the public names the package exports, class members and parameter names included.
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
    assert sorted(exported - listed) == [], "exported but missing from __init__.pyi"
    assert sorted(listed - exported) == [], "in __init__.pyi but not exported"


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
        assert sorted(actual - public(listed)) == [], f"{node.name}: members missing from the stub"
        assert sorted(public(listed) - actual) == [], f"{node.name}: stub members the class lacks"


def compiled_parameters(function):
    """Parameter names of a pybind11 function from its signature line (None when overloaded or not pybind11)."""
    doc = (getattr(function, "__doc__", None) or "").lstrip()
    name = getattr(function, "__name__", "")
    if not doc.startswith(name + "("):
        return None
    depth, part, parts = 0, "", []
    for ch in doc[len(name) + 1:]:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            if depth == 0:
                break
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(part)
            part = ""
        else:
            part += ch
    parts.append(part)
    names = [p.split(":")[0].split("=")[0].strip() for p in parts]
    return [n for n in names if n and n != "self"]


def stub_parameters(node):
    a = node.args
    if a.vararg or a.kwarg:
        return None
    names = [x.arg for x in a.posonlyargs + a.args if x.arg != "self"]
    if a.kwonlyargs:
        names += ["*"] + [x.arg for x in a.kwonlyargs]
    return names


def stub_functions(tree):
    """(owner name or None, FunctionDef) for every stub function and method that is not a property."""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            yield None, node
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                decorators = {getattr(d, "id", None) for d in getattr(item, "decorator_list", [])}
                if isinstance(item, ast.FunctionDef) and "property" not in decorators:
                    yield node.name, item


def test_stub_parameters_match_the_compiled_signatures():
    # What this catches: a keyword renamed or added in the bindings but not in the stub
    # (a caller following the stub would get a TypeError). Overloads are not compared.
    differences = []
    for owner, node in stub_functions(stub_tree()):
        target = mk if owner is None else getattr(mk, owner)
        if isinstance(target, type) and issubclass(target, BaseException):
            continue
        compiled = compiled_parameters(getattr(target, node.name, None))
        listed = stub_parameters(node)
        if compiled is None or listed is None:
            continue
        if compiled != listed:
            differences.append(f"{owner + '.' if owner else ''}{node.name}: stub {listed}, compiled {compiled}")
    assert differences == [], "stub parameters differ:\n" + "\n".join(differences)
