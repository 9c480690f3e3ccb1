#!/usr/bin/env bash
# Regenerates the user guide's screenshots (docs/images/*.png): runs the role journeys (tests/journeys) in headless
# Chromium with DEPLOYDESK_DOCS_SCREENSHOTS=1, which makes them save their pictures there instead of into pytest's
# temporary directories. The journeys are tests too: the script fails if any of them (or an accessibility check) does.
#   Usage: scripts/docs.sh [extra pytest options…]
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p docs/images
DEPLOYDESK_DOCS_SCREENSHOTS=1 .venv/bin/pytest -q tests/journeys "$@"
echo "Screenshots written to docs/images/ — the guide is docs/guide.md."
