"""`make mutate` (tools/mutate.py) names the rule modules, their tests and the figures it
changes; each must still be there, or the mutation run would stop half-way."""

import importlib.util
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _runner():
    if "tools_mutate" in sys.modules:
        return sys.modules["tools_mutate"]
    spec = importlib.util.spec_from_file_location("tools_mutate", ROOT / "tools" / "mutate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["tools_mutate"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_every_module_test_file_and_figure_exists():
    runner = _runner()
    for name, module in runner.MODULES.items():
        assert (ROOT / module.path).is_file(), name
        for test_file in module.tests:
            assert (ROOT / test_file).is_file(), (name, test_file)
        for figure in module.figures:
            text = (ROOT / figure.path).read_text()
            assert text.count(figure.old) == 1, (name, figure.old)
            assert figure.new != figure.old, (name, figure.old)


def test_each_module_gets_its_own_mutmut_settings():
    runner = _runner()
    module = runner.MODULES["lockout"]
    settings = tomllib.loads(runner._pyproject_for(module))
    mutmut = settings["tool"]["mutmut"]
    assert mutmut["only_mutate"] == [module.path]
    assert mutmut["pytest_add_cli_args_test_selection"] == list(module.tests)
    assert mutmut["source_paths"] == ["fieldportal"]
    # the rest of the project's settings are kept
    assert settings["tool"]["pytest"]["ini_options"]["pythonpath"] == ["."]
