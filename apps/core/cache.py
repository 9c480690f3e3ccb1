"""Django's Redis cache with one redis-py client per connection pool instead of one per command.

Django's RedisCacheClient makes a new `redis.Redis` over its pool for every cache command; setting that client up
took longer than a GET on loopback (a throttle's two commands, the register's search profile and count flags, the
generations' reads). A client over a pool is safe to share between threads; the pools are Django's own."""

from django.core.cache.backends import redis as django_redis


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, servers, **options):
        super().__init__(servers, **options)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:  # the pools are kept for the cache's life, so an id names one pool
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    """`django.core.cache.backends.redis.RedisCache` (same options, keys and values) over `RedisCacheClient`."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
