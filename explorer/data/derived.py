"""Derived tables belong to the loaded dataset: computed once, then shared by every reader.

A ``Dataset`` never changes after ``load()``, so anything computed from it alone (the
evidence records joined with their facets, a facet's options, the codings, the default
matrix) can be kept beside it and reused by every page, the static site and the briefings.
``@derived`` is the one caching mechanism for that: it stores a function's result in the
dataset's own cache, keyed by the function and its (hashable) arguments, so the cache lives
and dies with the dataset and two datasets never share an entry.

Results are shared: treat a derived DataFrame as read-only (select, copy, never assign into
it). Functions with a small, fixed set of arguments are cached without limit; those keyed
by a reader's choices (a filter, a project) keep the ``maxsize`` most recent results, so a
long-lived kernel's memory stays bounded.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

__all__ = ["HasCache", "derived"]

P = ParamSpec("P")
R = TypeVar("R")


class HasCache(Protocol):
    """Anything with a ``derived_cache`` dict (a ``Dataset``)."""

    @property
    def derived_cache(self) -> dict[Any, Any]: ...


def derived(maxsize: int | None = None) -> Callable[
        [Callable[Concatenate[Any, P], R]], Callable[Concatenate[Any, P], R]]:
    """Cache a function of ``(dataset, *args)`` in the dataset's own cache.

    Args:
        maxsize: how many results (argument combinations) to keep, most recently used
            first; None keeps every one (for functions of the dataset alone, or of a small
            fixed set of arguments such as a facet name).
    """

    def decorate(function: Callable[Concatenate[Any, P], R]) -> Callable[Concatenate[Any, P], R]:
        name = f"{function.__module__}.{function.__qualname__}"

        @functools.wraps(function)
        def wrapper(ds: Any, *args: P.args, **kwargs: P.kwargs) -> R:
            store = ds.derived_cache.setdefault(name, OrderedDict())
            key = (args, tuple(sorted(kwargs.items()))) if kwargs else args
            try:
                value: R = store[key]
            except KeyError:
                value = store[key] = function(ds, *args, **kwargs)
            except TypeError:  # unhashable arguments: compute, do not keep
                return function(ds, *args, **kwargs)
            if maxsize is not None:
                store.move_to_end(key)
                while len(store) > maxsize:
                    store.popitem(last=False)
            return value

        return wrapper

    return decorate
