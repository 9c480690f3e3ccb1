"""Real identity providers for the sign-in tests: a django-oidc-provider project and an OpenLDAP slapd, each run
as its own process on a free loopback port with its data in a temporary directory, and stopped at the end."""

import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

PROVIDER_DIR = Path(__file__).parent / "provider"
LDAP_DIR = Path(__file__).parent / "ldap"
CLIENT_ID, CLIENT_SECRET = "deploydesk", "deploydesk-test-secret"
OTHER_CLIENT_ID, OTHER_CLIENT_SECRET = "other-app", "other-app-secret"
LDAP_SUFFIX = "dc=example,dc=org"
LDAP_ADMIN_DN, LDAP_ADMIN_PASSWORD = f"cn=admin,{LDAP_SUFFIX}", "admin-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until(check, *, seconds: float, what: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if check():
                return
        except Exception:  # noqa: BLE001, S110  (not up yet)
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not start within {seconds} s:\n{log.read_text()[-3000:]}")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class OidcProvider:
    url: str
    env: dict

    @property
    def issuer(self) -> str:
        return f"{self.url}/openid"

    def user(self, username: str, *, password: str, groups: list[str]) -> None:
        """Create or update a user of the provider, with exactly these groups."""
        subprocess.run(
            [sys.executable, "idp_ctl.py", "user", username, "--password", password, "--groups", ",".join(groups)],
            cwd=PROVIDER_DIR,
            env=self.env,
            check=True,
            capture_output=True,
        )


@pytest.fixture(scope="module")
def oidc_provider(live_server, tmp_path_factory):
    """The test OpenID provider, with Deploydesk (and a second application) registered as clients."""
    tmp = tmp_path_factory.mktemp("idp")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "PYTEST"))},
        "DJANGO_SETTINGS_MODULE": "idp.settings",
        "IDP_DB": str(tmp / "idp.sqlite3"),
        "IDP_SITE_URL": url,
        "PYTHONPATH": str(PROVIDER_DIR),
    }
    callback = f"{live_server.url}/accounts/oidc/callback/"
    subprocess.run(
        [sys.executable, "idp_ctl.py", "setup"]
        + ["--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET, "--redirect-uri", callback]
        + ["--client-id", OTHER_CLIENT_ID, "--client-secret", OTHER_CLIENT_SECRET, "--redirect-uri", callback],
        cwd=PROVIDER_DIR,
        env=env,
        check=True,
        capture_output=True,
    )
    log = tmp / "idp.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "django", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=PROVIDER_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until(
            lambda: requests.get(f"{url}/openid/.well-known/openid-configuration", timeout=2).ok,
            seconds=30,
            what="the OpenID provider",
            process=process,
            log=log,
        )
        yield OidcProvider(url=url, env=env)
    finally:
        _stop(process)


def slapd_binary() -> str | None:
    return shutil.which("slapd") or next((p for p in ("/usr/sbin/slapd",) if os.access(p, os.X_OK)), None)


@dataclass
class Slapd:
    uri: str
    suffix: str = LDAP_SUFFIX
    admin_dn: str = LDAP_ADMIN_DN
    admin_password: str = LDAP_ADMIN_PASSWORD

    def modify(self, dn: str, changes: list) -> None:
        """Change an entry as the directory's administrator (python-ldap modlist)."""
        import ldap

        conn = ldap.initialize(self.uri)
        try:
            conn.simple_bind_s(self.admin_dn, self.admin_password)
            conn.modify_s(dn, changes)
        finally:
            conn.unbind_s()


@pytest.fixture(scope="module")
def slapd(tmp_path_factory):
    """OpenLDAP's slapd (Debian's package, installed by scripts/test-deps.sh) with tests/sso/ldap/directory.ldif."""
    binary, slapadd = slapd_binary(), shutil.which("slapadd") or "/usr/sbin/slapadd"
    if binary is None:
        pytest.skip(
            "slapd is not installed and this run could not install it: run `bash scripts/test-deps.sh` as root "
            "(apt-get install slapd ldap-utils)"
        )
    tmp = tmp_path_factory.mktemp("slapd")
    (tmp / "data").mkdir()
    port = free_port()
    conf = tmp / "slapd.conf"
    conf.write_text(
        (LDAP_DIR / "slapd.conf.in")
        .read_text()
        .format(tmp=tmp, suffix=LDAP_SUFFIX, admin_dn=LDAP_ADMIN_DN, admin_password=LDAP_ADMIN_PASSWORD)
    )
    subprocess.run([slapadd, "-f", str(conf), "-l", str(LDAP_DIR / "directory.ldif")], check=True, capture_output=True)
    uri = f"ldap://127.0.0.1:{port}"
    log = tmp / "slapd.log"
    with log.open("w") as out:
        # -d keeps slapd in the foreground (so it is stopped with the test) and logs to stderr
        process = subprocess.Popen(
            [binary, "-f", str(conf), "-h", f"{uri}/", "-d", "256"], stdout=out, stderr=subprocess.STDOUT
        )
    try:
        _wait_until(
            lambda: socket.create_connection(("127.0.0.1", port), timeout=1).close() is None,
            seconds=20,
            what="slapd",
            process=process,
            log=log,
        )
        yield Slapd(uri=uri)
    finally:
        _stop(process)
