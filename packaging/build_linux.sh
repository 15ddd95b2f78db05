#!/usr/bin/env bash
# Build a runnable one-folder desktop-qa app in dist/desktop-qa, with a .desktop file.
# Run from the repository root, in the project's virtual environment:
#   .venv/bin/pip install pyinstaller && bash packaging/build_linux.sh
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-.venv/bin/python}
"$python" -m PyInstaller --noconfirm --log-level WARN \
    --distpath dist --workpath build/pyinstaller packaging/desktop-qa.spec
app="$(pwd)/dist/desktop-qa"
cp resources/desktop-qa.svg "$app/desktop-qa.svg"
sed -e "s|@APP@|$app|g" packaging/desktop-qa.desktop > "$app/desktop-qa.desktop"
echo "built $app (run $app/desktop-qa; install the launcher with:"
echo "  cp $app/desktop-qa.desktop ~/.local/share/applications/)"
