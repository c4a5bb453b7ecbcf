"""A least-recently-used map bounded in bytes (and optionally in items), for per-prompt caches."""

from __future__ import annotations

from collections import OrderedDict


class BoundedLRU:
    """Least-recently-used map holding at most ``capacity`` items and ``max_bytes`` of values, as
    measured by ``size(value)``; the newest item is always kept, however big."""

    def __init__(self, max_bytes: int, capacity: int | None = None, size=None) -> None:
        self.max_bytes, self.capacity = max_bytes, capacity
        self._size = size or (lambda v: sum(a.nbytes for a in v))
        self._items: OrderedDict = OrderedDict()
        self.nbytes = 0

    def get(self, key):
        item = self._items.get(key)
        if item is not None:
            self._items.move_to_end(key)
        return item

    def put(self, key, value) -> None:
        old = self._items.pop(key, None)
        if old is not None:
            self.nbytes -= self._size(old)
        self._items[key] = value
        self.nbytes += self._size(value)
        while len(self._items) > 1 and (self.nbytes > self.max_bytes or
                                        (self.capacity is not None and len(self._items) > self.capacity)):
            _, gone = self._items.popitem(last=False)
            self.nbytes -= self._size(gone)

    def __contains__(self, key) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)
