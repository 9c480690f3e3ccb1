"""Data generations: a counter in the shared cache that the writers of some data bump after each commit, and that the
readers put into the keys of what they cache from it. Every process — every web server and worker, on every
machine — sees a change at once, whatever each one cached before it; stale entries simply stop being read and
expire by themselves."""

import functools

from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import transaction


def _key(name: str) -> str:
    return f"generation:{name}"


def generation(name: str) -> int:
    """The current generation of `name` (0 before the first change)."""
    return cache.get(_key(name)) or 0


def generation_bump_on_commit(name: str) -> None:
    """After the current transaction commits (at once outside one), move `name` to its next generation."""
    transaction.on_commit(lambda: _bump(name))


def _bump(name: str) -> None:
    key = _key(name)
    shared = caches[DEFAULT_CACHE_ALIAS]
    if isinstance(shared, RedisCache):
        # one command: Redis's INCR(BY) starts a missing key at 1, with no expiry, as `add` below does (Django's `incr`
        # asks EXISTS first, a second round trip); the cache stores an int as Redis's own integer, which INCR takes
        full = shared.make_and_validate_key(key)
        _redis_client(shared._cache._get_connection_pool(write=True)).incr(full)
        return
    try:
        cache.incr(key)
    except ValueError:  # not there yet (or evicted): start it, never going back to a value already used for long
        cache.add(key, 1, timeout=None) or cache.incr(key)


@functools.cache
def _redis_client(pool):
    """One Redis client over the cache's connection pool, made once per process (Django's cache makes a client for
    every command, whose set-up took longer than the command): clients over a pool are safe to share."""
    return caches[DEFAULT_CACHE_ALIAS]._cache._client(connection_pool=pool)
