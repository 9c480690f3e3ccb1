"""Data generations: a bump after the commit moves the shared counter on by one, starting at 1, in one cache command
with Redis; a read kept per process under a generation is made again once it moves; the register's reference rows
move theirs however they change; the Redis cache keeps one client per pool."""

import os

import pytest
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import transaction

from apps.core.generations import generation, generation_bump_on_commit

NAME = "test-generations"


@pytest.fixture(autouse=True)
def _fresh():
    cache.delete(f"generation:{NAME}")
    yield
    cache.delete(f"generation:{NAME}")


def test_a_bump_moves_the_generation_on_by_one_from_zero_after_the_commit(db, django_capture_on_commit_callbacks):
    # given a name never bumped
    assert generation(NAME) == 0
    # when it is bumped twice, each in a transaction
    for expected in (1, 2):
        with django_capture_on_commit_callbacks(execute=True):
            generation_bump_on_commit(NAME)
            # then nothing moves before the commit
            assert generation(NAME) == expected - 1
        # then it moved on by one
        assert generation(NAME) == expected


def test_a_bump_continues_from_a_value_set_before(db, django_capture_on_commit_callbacks):
    cache.set(f"generation:{NAME}", 41, timeout=None)
    with django_capture_on_commit_callbacks(execute=True):
        generation_bump_on_commit(NAME)
    assert generation(NAME) == 42


def test_with_redis_a_bump_is_one_command(db, django_capture_on_commit_callbacks, monkeypatch):
    shared = caches[DEFAULT_CACHE_ALIAS]
    if not isinstance(shared, RedisCache):
        pytest.skip("the cache is not Redis (REDIS_URL unset)")
    client_class = shared._cache._client
    commands = []
    real = client_class.execute_command

    def counted(self, *args, **options):
        commands.append(args[0])
        return real(self, *args, **options)

    monkeypatch.setattr(client_class, "execute_command", counted)
    with django_capture_on_commit_callbacks(execute=True):
        generation_bump_on_commit(NAME)
    assert commands == ["INCRBY"]  # redis-py sends INCR as INCRBY 1
    monkeypatch.undo()
    assert generation(NAME) == 1


# --- what a process keeps under a generation (remembered_while) -----------------------------------------------------


@pytest.fixture
def shared(monkeypatch):
    """The generations as every process would share them: with Redis they are; with the tests' local cache, this one
    process is every process."""
    from apps.core import generations

    monkeypatch.setattr(generations, "generations_shared", lambda: True)


def _counting_read():
    from apps.core.generations import remembered_while

    calls = []

    @remembered_while(NAME)
    def read():
        calls.append(1)
        return [len(calls)]

    return read, calls


@pytest.mark.django_db(transaction=True)
def test_a_read_is_kept_until_its_generation_moves_on(shared):
    read, calls = _counting_read()
    # given a read made once
    first = read()
    # when it is asked again with nothing changed, it is not made again
    assert read() is first and len(calls) == 1
    # when a change commits (on any node: the counter is in the shared cache), it is made again, then kept again
    with transaction.atomic():
        generation_bump_on_commit(NAME)
        assert read() == [2]  # inside a transaction: read afresh, not kept (it may see its own changes)
    assert read() == [3] and read() == [3] and len(calls) == 3


@pytest.mark.django_db(transaction=True)
def test_a_read_kept_before_the_shared_cache_was_emptied_is_made_again(shared):
    from apps.core.generations import STARTED

    read, calls = _counting_read()
    read()
    # when Redis lost its keys (a restart), the next read is made again: the counter starts afresh at a random value
    cache.clear()
    assert read() == [2] and generation(NAME) >= STARTED
    # when it lost them again and a change then moved the counter from nothing to 1, and that happened twice
    for made in (3, 4):
        cache.clear()
        with transaction.atomic():
            generation_bump_on_commit(NAME)
        assert generation(NAME) == 1
        # then what was kept under the earlier counting is never taken for the new one's, and the new is kept
        assert read() == [made] and read() == [made]
    assert len(calls) == 4


@pytest.mark.django_db(transaction=True)
def test_without_shared_generations_every_read_is_made(monkeypatch):
    from apps.core import generations

    monkeypatch.setattr(generations, "generations_shared", lambda: False)
    read, calls = _counting_read()
    assert [read(), read()] == [[1], [2]]


def test_the_generations_are_shared_exactly_when_redis_is_configured():
    from apps.core.generations import generations_shared

    # REDIS_URL set: every process reads the one Redis; unset: each its own local cache
    assert generations_shared() is bool(os.environ.get("REDIS_URL"))


# --- the reference rows move their generation (bump_on_change) -----------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_saving_or_deleting_reference_rows_moves_their_generation_after_the_commit():
    from apps.core.generations import REFERENCE_GENERATION
    from apps.environments.models import Environment
    from tests.factories.accounts import UserFactory
    from tests.factories.catalog import ServiceFactory, SupplierFactory
    from tests.factories.deployment_models import DeploymentModelFactory
    from tests.factories.environments import EnvironmentFactory

    def moved(change) -> bool:
        before = generation(REFERENCE_GENERATION)
        change()
        return generation(REFERENCE_GENERATION) > before

    # every list of the register: a service, a supplier, a model, an environment, a person
    assert moved(lambda: ServiceFactory(name="Ledger"))
    assert moved(lambda: SupplierFactory(name="Acme"))
    assert moved(lambda: DeploymentModelFactory(name="Blue-green"))
    assert moved(lambda: EnvironmentFactory(name="Lab", slug="lab"))
    person = UserFactory()
    assert moved(lambda: setattr(person, "first_name", "Ada") or person.save(update_fields=["first_name"]))
    # a bulk delete (the admin's "delete selected", which no service sees) moves it too
    assert moved(lambda: Environment.objects.filter(slug="lab").delete())
    # a sign-in's last_login changes no list: no move
    assert not moved(lambda: person.save(update_fields=["last_login"]))
    # inside a transaction nothing moves until it commits
    with transaction.atomic():
        before = generation(REFERENCE_GENERATION)
        ServiceFactory(name="Payroll")
        assert generation(REFERENCE_GENERATION) == before
    assert generation(REFERENCE_GENERATION) > before


# --- the cache's Redis client (apps/core/cache.py) ----------------------------------------------------------------


def test_the_redis_cache_keeps_one_client_per_pool_and_reads_what_djangos_own_wrote():
    shared = caches[DEFAULT_CACHE_ALIAS]
    if not isinstance(shared, RedisCache):
        pytest.skip("the cache is not Redis (REDIS_URL unset)")
    from django.core.cache.backends import redis as django_redis

    from apps.core.cache import RedisCache as OurRedisCache

    assert isinstance(shared, OurRedisCache)
    # one client for every command on a pool, not one a command
    assert shared._cache.get_client("a") is shared._cache.get_client("b")
    assert shared._cache.get_client(write=True) is shared._cache.get_client(write=True)
    # the same keys and values as Django's own backend on the same server
    stock = django_redis.RedisCache(shared._servers[0], {})
    stock.set("test-generations-value", {"n": 1, "s": "é"}, 30)
    shared.set("test-generations-count", 41, 30)
    assert shared.get("test-generations-value") == {"n": 1, "s": "é"}
    assert stock.incr("test-generations-count") == 42 and shared.get("test-generations-count") == 42
    shared.delete_many(["test-generations-value", "test-generations-count"])
