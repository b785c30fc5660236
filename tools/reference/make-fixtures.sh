#!/bin/sh
# npm run fixtures: regenerates the PyTorch fixtures in test/fixtures/pytorch/ (how each is made:
# test/fixtures/pytorch/README.md). Needs PyTorch for $PYTHON (default /usr/bin/python3; on
# Debian/Ubuntu: apt-get install -y python3-torch). Deterministic: on one machine a second run
# writes the same bytes; see the README for the last digits another machine's BLAS can move.
set -e
PYTHON="${PYTHON:-/usr/bin/python3}"
cd "$(dirname "$0")/../.."
if ! version=$("$PYTHON" -c 'import torch; print(torch.__version__)' 2>/dev/null); then
  echo "npm run fixtures: no PyTorch for $PYTHON (apt-get install -y python3-torch, or PYTHON=/path/to/python-with-torch npm run fixtures); fixtures left unchanged" >&2
  exit 1
fi
for script in make_fixtures.py make_init_stats.py make_optimizer_fixtures.py; do
  "$PYTHON" "tools/reference/$script"
done
recorded=$(sed -n 's/^- torch: `\([^`]*\)`.*/\1/p' test/fixtures/pytorch/README.md)
if [ "$version" != "$recorded" ]; then
  echo "npm run fixtures: made with torch $version; test/fixtures/pytorch/README.md says $recorded: update its torch line" >&2
fi
