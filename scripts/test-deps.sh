#!/usr/bin/env bash
# Installs what the test suite needs outside the virtual environment, from Debian's packages: Chromium for the
# browser tests (`playwright install` cannot download browsers on these machines), OpenLDAP's slapd and tools for
# the LDAP sign-in tests, and the OpenLDAP and SASL headers python-ldap builds against (it ships no wheels).
# Used by `make test` and by `.ci/run` alike. When something is missing and cannot be installed here (not root,
# or no apt-get), prints the one command to run and exits non-zero, so the suite never starts only to fail.
set -euo pipefail

have_chromium() { command -v chromium >/dev/null 2>&1 || [[ -x /usr/bin/chromium ]]; }
have_slapd() { command -v slapd >/dev/null 2>&1 || [[ -x /usr/sbin/slapd ]]; }
have_slapadd() { command -v slapadd >/dev/null 2>&1 || [[ -x /usr/sbin/slapadd ]]; }
have_ldap_headers() { [[ -f /usr/include/ldap.h && -f /usr/include/sasl/sasl.h ]]; }

missing=()
have_chromium || missing+=(chromium)
{ have_slapd && have_slapadd; } || missing+=(slapd ldap-utils)
have_ldap_headers || missing+=(libldap2-dev libsasl2-dev)

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

INSTALL="apt-get update && apt-get install -y ${missing[*]}"
if [[ "$(id -u)" != "0" ]] || ! command -v apt-get >/dev/null 2>&1; then
  echo "deploydesk: the tests need ${missing[*]}, which are missing; install them with: sudo sh -c '$INSTALL'" >&2
  exit 1
fi

echo "=== installing ${missing[*]} for the tests (apt-get install)"
# (a system-wide slapd the package may start does not matter: the LDAP tests run their own on a free port)
if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null; } \
  || ! have_chromium || ! have_slapd || ! have_slapadd || ! have_ldap_headers; then
  echo "deploydesk: installing ${missing[*]} failed; install them with: $INSTALL" >&2
  exit 1
fi
