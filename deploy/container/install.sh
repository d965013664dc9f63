#!/bin/sh
# Install the explorer into a virtual environment and lay out the site Voila serves.
#
#   sh deploy/container/install.sh SOURCE VENV SITE
#
# SOURCE  a checkout of this repository (only pyproject.toml, README.md, LICENSE, explorer/,
#         data/, share/, notebooks/, analysis/, voila.json, deploy/ and requirements/ are read)
# VENV    the virtual environment to create (e.g. /opt/explorer/venv)
# SITE    the folder to serve from (e.g. /srv/explorer): notebooks/, voila.json, and for
#         JupyterHub the analysts' notebooks (analysis/), the single-user server settings and
#         seed_home.py (which copies them into a home), in the repository's layout
#
# The container image runs this script (deploy/container/Containerfile), and so does the test
# suite on the host (tests/test_container_install.py), so the recipe cannot rot unseen.
#
# Environment: PYTHON (default python3, >= 3.11); EXPLORER_EXTRAS (default "hub": the image
# is also a JupyterHub single-user image; set it empty for Voila alone); EXPLORER_LOCK (default
# SOURCE/requirements/hub.lock, or serve.lock without the extra: when it exists, the locked
# versions are installed, hashes checked, then the project without dependencies; without it,
# pip resolves pyproject.toml's ranges).
set -eu

if [ "$#" -ne 3 ]; then
    echo "usage: sh $0 SOURCE VENV SITE" >&2
    exit 2
fi
SOURCE=$(cd "$1" && pwd)
VENV=$2
SITE=$3
PYTHON=${PYTHON:-python3}
EXTRAS=${EXPLORER_EXTRAS-hub}
if [ -n "${EXPLORER_LOCK:-}" ]; then
    LOCK=$EXPLORER_LOCK
elif [ "$EXTRAS" = hub ]; then
    LOCK=$SOURCE/requirements/hub.lock      # the served set plus JupyterHub's (make lock)
else
    LOCK=$SOURCE/requirements/serve.lock    # the served set (make lock)
fi

TARGET=$SOURCE
[ -n "$EXTRAS" ] && TARGET="$SOURCE[$EXTRAS]"

echo "install.sh: $VENV <- $TARGET"
"$PYTHON" -m venv "$VENV"
if [ -f "$LOCK" ]; then
    # The tested versions (hashes checked when the lock has them), then the project itself.
    echo "install.sh: versions from $LOCK"
    if grep -q -- "--hash" "$LOCK"; then
        "$VENV/bin/python" -m pip install --quiet --require-hashes --requirement "$LOCK"
    else
        "$VENV/bin/python" -m pip install --quiet --requirement "$LOCK"
    fi
    "$VENV/bin/python" -m pip install --quiet --no-deps "$SOURCE"
    "$VENV/bin/python" -m pip check
else
    echo "install.sh: no lock file; versions resolved from pyproject.toml"
    "$VENV/bin/python" -m pip install --quiet "$TARGET"
fi

echo "install.sh: site in $SITE"
mkdir -p "$SITE/notebooks" "$SITE/analysis" "$SITE/deploy/jupyterhub/singleuser"
cp "$SOURCE"/notebooks/*.ipynb "$SITE/notebooks/"
cp "$SOURCE"/analysis/*.ipynb "$SOURCE"/analysis/*.py "$SOURCE/analysis/jupytext.toml" \
   "$SITE/analysis/"
cp "$SOURCE/voila.json" "$SITE/voila.json"
cp "$SOURCE/deploy/jupyterhub/singleuser/jupyter_server_config.py" \
   "$SITE/deploy/jupyterhub/singleuser/jupyter_server_config.py"
cp "$SOURCE/deploy/jupyterhub/seed_home.py" "$SITE/deploy/jupyterhub/seed_home.py"

# What the site needs at run time, checked now rather than by the first viewer.
cd "$SITE"
"$VENV/bin/python" -m explorer validate
test -f "$VENV/share/jupyter/voila/templates/explorer/index.html.j2" || {
    echo "install.sh: the explorer's Voila template was not installed" >&2
    exit 1
}
"$VENV/bin/voila" --version >/dev/null
"$VENV/bin/python" -c "import explorer.serve.server"   # the server the image runs
echo "install.sh: done"
