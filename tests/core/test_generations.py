"""Data generations: a bump after the commit moves the shared counter on by one, starting at 1, in one cache command
with Redis."""

import pytest
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.redis import RedisCache

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
