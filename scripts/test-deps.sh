#!/usr/bin/env bash
# Installs what the test suite needs outside the virtual environment: Debian's Chromium for the browser tests
# (`playwright install` cannot download browsers on these machines). Used by `make test` and by `.ci/run` alike.
# When Chromium is missing and cannot be installed here (not root, or no apt-get), prints the one command to run
# and exits non-zero, so the suite never starts only to fail in its browser tests.
set -euo pipefail

have_chromium() { command -v chromium >/dev/null 2>&1 || [[ -x /usr/bin/chromium ]]; }

if have_chromium; then
  exit 0
fi

INSTALL="apt-get update && apt-get install -y chromium"
if [[ "$(id -u)" != "0" ]] || ! command -v apt-get >/dev/null 2>&1; then
  echo "deploydesk: the browser tests need Chromium, which is missing; install it with: sudo sh -c '$INSTALL'" >&2
  exit 1
fi

echo "=== installing Chromium for the browser tests (apt-get install chromium)"
if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || ! have_chromium; then
  echo "deploydesk: installing Chromium failed; install it with: $INSTALL" >&2
  exit 1
fi
