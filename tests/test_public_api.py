"""The engine's public surface: `codeconn.iam.__all__` is complete and the package stands alone."""

from __future__ import annotations

import inspect
import json
import pkgutil
import subprocess
import sys
import types

import codeconn.iam

ENGINE_MODULES = sorted(m.name for m in pkgutil.iter_modules(codeconn.iam.__path__))


def test_every_name_in_all_exists():
    missing = [name for name in codeconn.iam.__all__ if not hasattr(codeconn.iam, name)]
    assert missing == []


def test_all_has_no_duplicates():
    assert len(codeconn.iam.__all__) == len(set(codeconn.iam.__all__))


def test_every_public_name_the_package_imports_is_exported():
    """Whatever `codeconn/iam/__init__.py` brings in (not modules, not _private) is in __all__."""
    public = {name for name, value in vars(codeconn.iam).items()
              if not name.startswith("_") and not isinstance(value, types.ModuleType)}
    assert public - set(codeconn.iam.__all__) == set()


def test_the_errors_and_values_a_caller_meets_are_exported():
    """Everything `parse_policy`, `make_request` and `Authorizer.evaluate` raise or return."""
    exported = {getattr(codeconn.iam, name) for name in codeconn.iam.__all__}
    from codeconn.iam import errors

    for name, value in vars(errors).items():
        if inspect.isclass(value) and issubclass(value, Exception) and value.__module__ == errors.__name__:
            assert value in exported, name
    for function in (codeconn.iam.parse_policy, codeconn.iam.make_request, codeconn.iam.parse_principal,
                     codeconn.iam.evaluate, codeconn.iam.Authorizer.evaluate):
        returned = inspect.signature(function).return_annotation  # a name: the modules defer annotations
        assert returned in codeconn.iam.__all__, function.__qualname__


def test_exported_classes_and_functions_are_the_engines_own():
    for name in codeconn.iam.__all__:
        value = getattr(codeconn.iam, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert value.__module__.startswith("codeconn.iam."), name


def test_the_package_docstring_example_works():
    """The usage shown in `codeconn.iam`'s docstring, run as written."""
    source = codeconn.iam.__doc__.split("\n\n", 1)[1]
    code = "\n".join(line[4:] for line in source.splitlines())
    namespace: dict[str, object] = {
        "document": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "codestar-connections:UseConnection", "Resource": "*",
            "Condition": {"StringEquals": {"codestar-connections:ProviderAction": "GitPull"}}}]},
    }
    lines = [line for line in code.splitlines() if line.strip() and not line.lstrip().startswith("decision.")]
    exec(compile("\n".join(lines), "codeconn.iam docstring", "exec"), namespace)  # noqa: S102
    decision = namespace["decision"]
    assert decision.decision == "allowed"
    assert [m.policy for m in decision.matched] == ["pipeline-role"]


def test_importing_the_engine_imports_nothing_else_of_codeconn():
    """`import codeconn.iam` must work on its own (users embed it in their tests)."""
    program = ("import json, sys; import codeconn.iam; "
               "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'codeconn')))")
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
    loaded = json.loads(result.stdout)
    outside = [m for m in loaded if m != "codeconn" and not m.startswith("codeconn.iam")]
    assert outside == []
    assert "codeconn.iam" in loaded


def test_importing_any_engine_module_stays_inside_the_engine():
    program = ("import importlib, json, sys\n"
               f"for name in {ENGINE_MODULES!r}:\n"
               "    importlib.import_module('codeconn.iam.' + name)\n"
               "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'codeconn')))")
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
    outside = [m for m in json.loads(result.stdout) if m != "codeconn" and not m.startswith("codeconn.iam")]
    assert outside == []


def test_docstrings_on_public_functions():
    """Public functions say what they promise."""
    for name in codeconn.iam.__all__:
        value = getattr(codeconn.iam, name)
        if inspect.isfunction(value):
            assert inspect.getdoc(value), name
