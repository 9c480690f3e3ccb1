"""Permission-aware reads of deployments, one module per part; import from the module that holds the read:
`visibility` (what each user may see and the lists built on it), `page` (a deployment's page: the deployment, its
lists and its linked ids), `register` (the register's filter choices) and `work` (a user's work lists, the replay of
earlier calls and a window's preview)."""
