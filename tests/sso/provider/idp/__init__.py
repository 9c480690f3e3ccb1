"""A minimal OpenID provider for the single sign-on tests (never imported by Deploydesk)."""
