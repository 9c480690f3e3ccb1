"""Signing in through the organisation's identity provider: OpenID Connect and LDAP / Active Directory."""
