"""`make lint` refuses an import that points the wrong way (decision 0013).

Each case copies the Python tree and pyproject.toml into a temporary directory, adds one module
that breaks one contract, and runs there the very command that `make lint` runs (read from
`make -n`). The command must fail and name the broken contract; on the real tree it must pass.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

CORE = "core imports no other part of kefu (no app, not the composition root)"
ACCOUNTS = "accounts does not import customers"
LAYERS = "The apps stand on one another in one order; nothing but the composition root imports insights"
CYCLES = "No import cycles among the apps"


def lint_imports_command() -> str:
    """The line `make lint` runs for the import contracts, as make would run it."""
    planned = subprocess.run(
        ["make", "--no-print-directory", "-n", "lint"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    lines = [line for line in planned.splitlines() if "lint-imports" in line]
    assert len(lines) == 1, planned
    return lines[0]


def run_lint(tree: Path) -> tuple[int, str]:
    env = {**os.environ, "COLUMNS": "300", "NO_COLOR": "1"}
    done = subprocess.run(
        lint_imports_command(), shell=True, cwd=tree, env=env, capture_output=True, text=True, timeout=120
    )
    return done.returncode, re.sub(r"\s+", " ", done.stdout + done.stderr)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of what the check reads: the package's Python files and pyproject.toml."""
    shutil.copytree(
        ROOT / "src" / "kefu",
        tmp_path / "src" / "kefu",
        ignore=shutil.ignore_patterns("__pycache__", "static", "templates", "locale"),
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    return tmp_path


def write(tree: Path, path: str, text: str) -> None:
    target = tree / "src" / "kefu" / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)


def test_the_tree_as_it_is_keeps_every_contract(tree):
    code, output = run_lint(tree)
    assert code == 0, output
    for contract in (CORE, ACCOUNTS, LAYERS, CYCLES):
        assert f"{contract} KEPT" in output


@pytest.mark.parametrize(
    ("modules", "broken"),
    [
        pytest.param({"core/wrong_way.py": "from kefu.customers import models\n"}, CORE, id="core-customers"),
        pytest.param({"core/wrong_way.py": "import kefu.accounts.roles\n"}, CORE, id="core-accounts"),
        pytest.param(
            {"core/wrong_way.py": "def later():\n    from kefu.accounts import roles\n\n    return roles\n"},
            CORE,
            id="core-accounts-inside-a-function",
        ),
        pytest.param({"core/wrong_way.py": "from kefu import api\n"}, CORE, id="core-composition-root"),
        pytest.param(
            {"tickets/__init__.py": "", "core/wrong_way.py": "import kefu.tickets\n"},
            CORE,
            id="core-an-app-added-later",
        ),
        pytest.param(
            {"accounts/wrong_way.py": "from kefu.customers.models import Customer\n"},
            ACCOUNTS,
            id="accounts-customers",
        ),
        pytest.param(
            {"accounts/wrong_way.py": "from kefu.customers.models import Customer\n"},
            LAYERS,
            id="layers-accounts-customers",
        ),
        pytest.param(
            {"insights/__init__.py": "", "customers/wrong_way.py": "from kefu import insights\n"},
            LAYERS,
            id="customers-insights",
        ),
        pytest.param(
            {
                "insights/__init__.py": "",
                "insights/figures.py": "",
                "core/wrong_way.py": "import kefu.insights.figures\n",
            },
            LAYERS,
            id="core-insights",
        ),
        pytest.param({"warehouse/__init__.py": ""}, LAYERS, id="an-app-in-no-layer"),
    ],
)
def test_a_wrong_way_import_fails_the_check(tree, modules, broken):
    for path, text in modules.items():
        write(tree, path, text)
    code, output = run_lint(tree)
    assert code != 0, output
    assert f"{broken} BROKEN" in output


def test_a_cycle_between_two_apps_of_one_layer_fails_the_check(tree):
    """Two apps may share a layer (neither above the other); they still may not import in a circle."""
    pyproject = tree / "pyproject.toml"
    text = pyproject.read_text()
    assert '    "tickets",\n' in text
    pyproject.write_text(text.replace('    "tickets",\n', '    "tickets : warehouse",\n'))
    write(tree, "warehouse/__init__.py", "")
    write(tree, "warehouse/services.py", "from kefu.tickets import models\n")
    write(tree, "tickets/wrong_way.py", "from kefu.warehouse import services\n")
    code, output = run_lint(tree)
    assert code != 0, output
    assert f"{CYCLES} BROKEN" in output
    assert f"{LAYERS} KEPT" in output


def test_the_composition_root_and_insights_may_import_the_apps(tree):
    write(tree, "insights/__init__.py", "")
    write(tree, "insights/figures.py", "from kefu.customers import models\nfrom kefu.accounts import roles\n")
    urls = tree / "src" / "kefu" / "urls.py"
    urls.write_text(urls.read_text() + "\nimport kefu.insights.figures  # noqa: E402\n")
    code, output = run_lint(tree)
    assert code == 0, output
