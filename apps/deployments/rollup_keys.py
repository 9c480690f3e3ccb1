"""Keys of the rollup tables, in a module of no imports: the models, the services that keep the rollups and the
migrations that fill them (whose historical models carry no constants) read them from here."""

ALL = -1  # the environment, model or service key of a row that adds up every one of them ("none" included)
