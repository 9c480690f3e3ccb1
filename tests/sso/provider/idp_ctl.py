"""Sets up and manages the test OpenID provider from the command line (run with the provider's environment).

idp_ctl.py setup --client-id ID --client-secret S --redirect-uri URI [--client-id ...]   (repeatable triples)
idp_ctl.py user USERNAME --password P [--email E] [--groups a,b]                          (create or update)
"""

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "idp.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import Group, User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from oidc_provider.models import Client, ResponseType, RSAKey  # noqa: E402


def setup(args) -> None:
    call_command("migrate", verbosity=0)
    if not RSAKey.objects.exists():
        call_command("creatersakey", verbosity=0)
    code = ResponseType.objects.get(value="code")
    for client_id, secret, redirect_uri in zip(args.client_id, args.client_secret, args.redirect_uri, strict=True):
        client, _ = Client.objects.update_or_create(
            client_id=client_id,
            defaults={
                "name": client_id,
                "client_type": "confidential",
                "client_secret": secret,
                "jwt_alg": "RS256",
                "require_consent": False,
                "reuse_consent": True,
            },
        )
        client.redirect_uris = [redirect_uri]
        client.scope = []
        client.save()
        client.response_types.set([code])


def user(args) -> None:
    account, _ = User.objects.get_or_create(username=args.username)
    account.set_password(args.password)
    account.email = args.email or f"{args.username}@example.test"
    account.first_name = args.username.capitalize()
    account.save()
    names = [g for g in (args.groups or "").split(",") if g]
    account.groups.set([Group.objects.get_or_create(name=n)[0] for n in names])


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("setup")
    p.add_argument("--client-id", action="append", required=True)
    p.add_argument("--client-secret", action="append", required=True)
    p.add_argument("--redirect-uri", action="append", required=True)
    p.set_defaults(func=setup)
    p = sub.add_parser("user")
    p.add_argument("username")
    p.add_argument("--password", required=True)
    p.add_argument("--email")
    p.add_argument("--groups")
    p.set_defaults(func=user)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
