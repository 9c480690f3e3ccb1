"""Data generations: a counter in the shared cache that the writers of some data bump after each commit, and that the
readers put into the keys of what they cache from it. Every process — every web server and worker, on every
machine — sees a change at once, whatever each one cached before it; stale entries simply stop being read and
expire by themselves.

A process may also keep what it read in its own memory under the generation it read it at (`remembered_while`): the
register's filter lists, read on every page, are then read again only after a change. That holds only where the
counter lives in a cache every process shares (Redis); with a cache of each process's own, every read goes to the
database."""

import functools
import secrets
from collections.abc import Callable

from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save

# the rows the register's filter lists show (people, environments, services, models, suppliers): saved or deleted
# through a service, the admin, a bulk delete or a cascade alike, they move this generation (`bump_on_change`)
REFERENCE_GENERATION = "reference"


def _key(name: str) -> str:
    return f"generation:{name}"


def _read(name: str) -> int | None:
    """The counter of `name` in the shared cache, None when it holds none (never bumped, or the cache was emptied)."""
    return cache.get(_key(name))


def generation(name: str) -> int:
    """The current generation of `name` (0 before the first change)."""
    return _read(name) or 0


def generation_bump_on_commit(name: str) -> None:
    """After the current transaction commits (at once outside one), move `name` to its next generation."""
    transaction.on_commit(lambda: _bump(name))


def _bump(name: str) -> None:
    _advance(name, 1)


def _advance(name: str, by: int) -> int:
    """Add `by` to the counter of `name` (a missing one counts from 0) and give its new value."""
    key = _key(name)
    shared = caches[DEFAULT_CACHE_ALIAS]
    if isinstance(shared, RedisCache):
        # one command: Redis's INCRBY starts a missing key at 0, with no expiry (Django's `incr` asks EXISTS first, a
        # second round trip); the cache stores an int as Redis's own integer, which INCRBY takes
        return shared._cache.get_client(write=True).incr(shared.make_and_validate_key(key), by)
    try:
        return cache.incr(key, by)
    except ValueError:  # not there yet (or evicted): start it, never going back to a value already used for long
        return by if cache.add(key, by, timeout=None) else cache.incr(key, by)


def generations_shared() -> bool:
    """Whether every process reads the same counters (the cache is Redis), so that one may keep what it read."""
    return isinstance(caches[DEFAULT_CACHE_ALIAS], RedisCache)


# a counter that a reader started is at least this; one below it was only ever bumped from nothing
STARTED = 2**32


def _current_or_started(name: str) -> int:
    """The counter of `name`, moved on by a random amount of at least STARTED when no reader started it yet. A value
    some process kept something under must never come back: after the shared cache was emptied (a restart of Redis),
    a counter bumped from nothing counts 1, 2, … again, which a process may have kept from before."""
    found = _read(name)
    if found is None or found < STARTED:
        # two readers racing here each add theirs: the first one's reader then reads once more
        found = _advance(name, STARTED + secrets.randbelow(2**61))
    return found


def remembered_while(name: str) -> Callable:
    """A read of no arguments whose result each process keeps while the generation `name` stays the same: called
    again only after a change to what it reads committed (on any node) and moved the generation on.

    Read afresh, and not kept, inside a transaction (it may hold changes of its own, not yet committed, that others
    must not be given) and where the generations are not shared (`generations_shared`). A change that commits while
    the read runs moves the generation after the read took it, so what was kept is read again next time."""

    def decorate(read: Callable) -> Callable:
        kept: list = [None]  # (generation, value); replaced whole, so threads see one or the other

        @functools.wraps(read)
        def remembered():
            if connection.in_atomic_block or not generations_shared():
                return read()
            now = _current_or_started(name)
            held = kept[0]
            if held is not None and held[0] == now:
                return held[1]
            value = read()
            kept[0] = (now, value)
            return value

        return remembered

    return decorate


def bump_on_change(model, name: str, *, fields: frozenset[str] | None = None) -> None:
    """Move `name` to its next generation after the commit of any save or delete of a row of `model`. With `fields`,
    a save that names only other fields (`update_fields`, as a sign-in's `last_login`) leaves it be.

    Model signals rather than the services' calls: a row leaves through the admin's bulk delete and through cascades
    too, which no service sees; the receivers only invalidate what processes remember, they decide nothing."""
    label = model._meta.label

    def saved(sender, update_fields=None, **kwargs) -> None:
        if fields is None or update_fields is None or fields & set(update_fields):
            generation_bump_on_commit(name)

    def deleted(sender, **kwargs) -> None:
        generation_bump_on_commit(name)

    post_save.connect(saved, sender=model, weak=False, dispatch_uid=f"generation:{name}:{label}:save")
    post_delete.connect(deleted, sender=model, weak=False, dispatch_uid=f"generation:{name}:{label}:delete")
