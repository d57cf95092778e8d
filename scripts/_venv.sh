# Sourced by the scripts: create or update ./.venv from pyproject.toml, then activate it.
# The install is redone only when pyproject.toml changes (its hash is kept in the venv).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="$root/.venv"
python=${PYTHON:-python3}
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
stamp="$venv/.codeconn-installed"
want=$(sha256sum "$root/pyproject.toml" | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "installing codeconn and its dependencies into $venv ..." >&2
    if ! { "$venv/bin/python" -m pip install --upgrade pip &&
           "$venv/bin/python" -m pip install -e "$root[test,bench]"; } >"$venv/install.log" 2>&1; then
        tail -n 40 "$venv/install.log" >&2
        echo "pip install failed; the whole log is $venv/install.log" >&2
        exit 1
    fi
    echo "$want" > "$stamp"
fi
# shellcheck disable=SC1091
source "$venv/bin/activate"
cd "$root"
