"""Two public registries, each name with its declared capabilities.

* **Optimisers**: Ray-free ask/tell cores, what the search's ``--searcher`` (``searcher.name`` in a
  search config) and ``python -m gpunet_ray.bench searchers`` run. A factory is called as
  ``factory(space, *, seed, maximize, **options)``: ``space`` is a
  :class:`~gpunet_ray.search_space.SearchSpace` (the search) or a :class:`Domain` (the benchmark);
  :func:`~gpunet_ray.searchers.as_domain` turns either into a :class:`Domain`. With
  ``multi_objective=True`` it is also called with ``objectives=2, maximize=(True, False)`` (the
  search with several latency budgets: top-1 up, latency down) and then told tuples of values.
  It returns an :class:`~gpunet_ray.searchers.AskTellOptimizer`: ``ask(n) -> [config]``,
  ``tell(config, value, feasible=True, extra=None)``, ``state_dict() -> JSON dict`` and
  ``load_state_dict(state)`` (optionally ``add_pending(config)`` and ``forget(config)``:
  :class:`~gpunet_ray.searchers.SupportsPending`); :func:`get_optimizer` refuses anything else.
* **Tune searchers**: ``factory(space=, metric=, mode=, points_to_evaluate=, seed=, **options)``
  returning a ``ray.tune.search.Searcher``; ``multi_objective`` means it takes lists of metrics
  and modes.

:func:`register_optimizer` is the one way to add an optimiser by name (the built-ins are registered
through it too, with their capabilities). A name is found, in this order, among the built-ins and
:func:`register_optimizer` / :func:`register_searcher` calls of this process, then as an import
path ``"package.module:name"`` (a class or function; a ``multi_objective = True`` attribute on it
declares that capability), then among the entry points of the groups :data:`OPTIMIZER_GROUP` /
:data:`SEARCHER_GROUP` of the installed distributions (same attribute), e.g. in ``pyproject.toml``:
``[project.entry-points."gpunet_ray.optimizers"] mine = "mypkg.opt:MyCore"``. The options a
factory takes are read from its signature (any, when it takes ``**kwargs``) unless declared;
an unknown option is a :class:`~gpunet_ray.errors.ConfigError` before the factory is called.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from gpunet_ray.errors import BackendUnavailable, ConfigError, GpunetRayError
from gpunet_ray.plugins import import_object

__all__ = [
    "OPTIMIZER_GROUP",
    "SEARCHER_GROUP",
    "RegistryInfo",
    "register_optimizer",
    "list_optimizers",
    "optimizer_info",
    "optimizer_help",
    "get_optimizer",
    "register_searcher",
    "list_searchers",
    "searcher_info",
    "get_searcher",
]

OPTIMIZER_GROUP = "gpunet_ray.optimizers"
SEARCHER_GROUP = "gpunet_ray.tune_searchers"


@dataclass(frozen=True)
class RegistryInfo:
    """What a registry knows of one name.

    ``options``: the option names the factory takes (None: any; it takes ``**kwargs``);
    ``origin``: ``built-in``, ``registered``, ``import path`` or ``entry point VALUE``.
    """

    name: str
    factory: Callable[..., Any]
    multi_objective: bool
    options: frozenset[str] | None
    origin: str


class _Lazy:
    """A built-in factory: the class at ``path`` (imported on first use), called with ``fixed``
    keywords on top, ``ignored`` options dropped."""

    def __init__(self, path: str, fixed: dict | None = None, ignored: tuple[str, ...] = ()):
        self.path, self.fixed, self.ignored = path, dict(fixed or {}), ignored

    def __repr__(self) -> str:
        extra = "".join(f" {k}={v!r}" for k, v in self.fixed.items())
        return f"<{self.path}{extra}>"

    def target(self) -> Callable[..., Any]:
        return import_object(self.path, "built-in")

    def __call__(self, *args: Any, **kw: Any) -> Any:
        for k in self.ignored:
            kw.pop(k, None)
        return self.target()(*args, **self.fixed, **kw)


def _keywords(factory: Callable[..., Any], skip_first: bool) -> frozenset[str] | None:
    """Keyword names ``factory`` takes (None: any), from its signature."""
    if isinstance(factory, _Lazy):
        names = _keywords(factory.target(), skip_first)
        return None if names is None else (names - set(factory.fixed)) | set(factory.ignored)
    try:
        params = list(inspect.signature(factory).parameters.values())
    except (TypeError, ValueError):  # no signature to read (some builtins)
        return None
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return None
    if skip_first and params and params[0].kind is not inspect.Parameter.KEYWORD_ONLY:
        params = params[1:]
    return frozenset(p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))


def _entry_points(group: str) -> dict:
    from gpunet_ray.plugins import entry_points

    return entry_points(group)


class _Registry:
    """One concept's names: built-ins, this process's registrations, import paths, entry points."""

    def __init__(self, what: str, group: str, protocol: Iterable[str], skip_first: bool, form: str):
        self.what = what  # the word in messages ("searcher" is what the CLI calls an optimiser)
        self.group = group
        self.protocol = frozenset(protocol)  # keywords every call passes: not options
        self.skip_first = skip_first  # the first parameter is positional (the space)
        self.form = form  # the import-path form, for messages
        self._entries: dict[str, tuple[Callable[..., Any], bool, frozenset[str] | None, str]] = {}

    def mark_builtin(self) -> None:
        """Every name registered so far is a built-in (their ``origin``)."""
        self._entries = {n: (*e[:3], "built-in") for n, e in self._entries.items()}

    def register(self, name: str, factory: Callable[..., Any], multi_objective: bool,
                 options: Iterable[str] | None = None, origin: str = "registered") -> None:
        if not isinstance(name, str) or not name or ":" in name:
            raise ConfigError(f"a {self.what} name is a non-empty string without ':', got {name!r}")
        if not callable(factory):
            raise ConfigError(f"{self.what} {name!r}: the factory must be callable, got {factory!r}")
        self._entries[name] = (factory, bool(multi_objective), None if options is None else frozenset(options),
                               origin)

    def names(self, multi_objective: bool | None = None) -> list[str]:
        names = sorted(set(self._entries) | set(_entry_points(self.group)))
        if multi_objective is None:
            return names
        out = []
        for n in names:
            try:
                if self._resolve(n)[1] == multi_objective:
                    out.append(n)
            except GpunetRayError:  # a plugin that does not load is left out of the filtered list
                continue
        return out

    def _resolve(self, name: Any) -> tuple[Callable[..., Any], bool, frozenset[str] | None, str]:
        if not isinstance(name, str) or not name:
            raise ConfigError(f"a {self.what} is a name or {self.form}, got {name!r}")
        if name in self._entries:
            return self._entries[name]
        if ":" in name:
            obj, origin = import_object(name, self.what), "import path"
        else:
            ep = _entry_points(self.group).get(name)
            if ep is None:
                raise ConfigError(f"unknown {self.what} {name!r}; use one of {', '.join(self.names())}, "
                                  f"or {self.form}")
            try:
                obj = ep.load()
            except ImportError as exc:
                raise BackendUnavailable(f"{self.what} {name!r} (entry point {ep.value}) does not import: "
                                         f"{exc}") from None
            except AttributeError as exc:
                raise ConfigError(f"{self.what} {name!r}: entry point {ep.value} names nothing ({exc})") from None
            origin = f"entry point {ep.value}"
        if not callable(obj):
            raise ConfigError(f"{self.what} {name!r}: {obj!r} is not callable")
        return obj, bool(getattr(obj, "multi_objective", False)), None, origin

    def info(self, name: str) -> RegistryInfo:
        factory, multi, options, origin = self._resolve(name)
        if options is None:
            options = _keywords(factory, self.skip_first)
            options = None if options is None else options - self.protocol
        return RegistryInfo(name, factory, multi, options, origin)

    def checked(self, name: str, opts: dict, n_objectives: int) -> RegistryInfo:
        """The entry of ``name`` once ``opts`` and ``n_objectives`` are known to suit it."""
        info = self.info(name)
        if n_objectives > 1 and not info.multi_objective:
            multi = ", ".join(self.names(multi_objective=True)) or "none"
            raise ConfigError(f"{self.what} {name!r} does not support {n_objectives} objectives "
                              f"(multi-objective: {multi})")
        unknown = sorted(set(opts) - info.options) if info.options is not None else []
        if unknown:
            raise ConfigError(f"{self.what} {name!r} does not support option(s) {unknown}; it takes "
                              f"{sorted(info.options)}")
        return info


_OPTIMIZERS = _Registry("searcher", OPTIMIZER_GROUP, ("seed", "maximize", "objectives"), skip_first=True,
                        form="an ask/tell factory as package.module:name")
_SEARCHERS = _Registry("Tune searcher", SEARCHER_GROUP, ("space", "metric", "mode", "points_to_evaluate", "seed"),
                       skip_first=False, form="a Searcher factory as package.module:name")


def register_optimizer(name: str, factory: Callable[..., Any], *, multi_objective: bool,
                       options: Iterable[str] | None = None) -> None:
    """Make ``factory`` available as ``get_optimizer(name, ...)`` and ``--searcher name`` in this process.

    Args:
        name: a non-empty string without ``:`` (an existing name is replaced).
        factory: ``factory(space, *, seed, maximize, **options)`` -> an ask/tell object (see the
            module docstring); a class is fine.
        multi_objective: True if it also takes ``objectives=N, maximize=(bool, ...)`` and is told
            tuples of values (the search with several budgets needs it).
        options: the option names it takes; default: read from its signature (any with ``**kwargs``).
    """
    _OPTIMIZERS.register(name, factory, multi_objective, options)


def list_optimizers(multi_objective: bool | None = None) -> list[str]:
    """Names :func:`get_optimizer` takes (import paths work as well), sorted; with
    ``multi_objective``, only those with (True) or without (False) that capability."""
    return _OPTIMIZERS.names(multi_objective)


def optimizer_info(name: str) -> RegistryInfo:
    """The factory and declared capabilities of an optimiser name, import path or entry-point name.

    ConfigError for an unknown name or a bad import path; BackendUnavailable when its module does
    not import."""
    return _OPTIMIZERS.info(name)


def with_budget(name: str, options: dict, budget: int) -> dict:
    """``options`` plus ``budget=budget`` when the optimiser ``name`` declares a ``budget`` option and
    ``options`` has none (LA-MCTS sizes its switch to whole-box steps by it): how the bench (its
    ``--evals``) and the search driver (its ``--trials``) tell an optimiser its budget."""
    takes = optimizer_info(name).options
    return {**options, "budget": int(budget)} if "budget" not in options and takes and "budget" in takes else options


def optimizer_help(default: str = "lamcts") -> str:
    """One line for a CLI's help: the names of :func:`list_optimizers` and the import-path form."""
    names = [f"{n} (default)" if n == default else n for n in list_optimizers()]
    return ", ".join(names) + ", or " + _OPTIMIZERS.form


def get_optimizer(name: str, domain: Any, *, seed: Any = None, maximize: Any = True, **opts: Any) -> Any:
    """An ask/tell optimiser (:class:`~gpunet_ray.searchers.AskTellOptimizer`) by name or import path.

    ``objectives=N`` (N > 1, with one ``maximize`` flag per objective) needs a multi-objective
    optimiser; ``objectives=1`` is the default and is not passed on. With ``objectives=2`` and
    ``per_tier_budgets_ms=[...]`` any optimiser runs in the per-tier mode instead
    (:class:`~gpunet_ray.searchers._per_tier.PerTierCore`: one single-objective core per budget).
    ConfigError for an unknown name, an unknown option or too many objectives, before the factory
    is called; ConfigError when the factory returns something that is not an ask/tell optimiser.
    """
    n = int(opts.pop("objectives", 1))
    tiers = opts.pop("per_tier_budgets_ms", None)
    if tiers is not None and n > 1:  # the per-tier mode: one single-objective core per budget
        from ._per_tier import PerTierCore

        _OPTIMIZERS.checked(name, opts, 1)
        return PerTierCore(domain, tiers, lambda i, s: get_optimizer(name, domain, seed=s, maximize=True, **opts),
                           seed=seed)
    info = _OPTIMIZERS.checked(name, opts, n)
    if n != 1:
        opts["objectives"] = n
    core = info.factory(domain, seed=seed, maximize=maximize, **opts)
    from ._protocol import AskTellOptimizer

    if not isinstance(core, AskTellOptimizer):
        missing = [m for m in ("ask", "tell", "state_dict", "load_state_dict") if not callable(getattr(core, m, None))]
        raise ConfigError(f"searcher {name!r}: {info.factory!r} returned a {type(core).__name__} without "
                          f"{', '.join(missing)}; an optimiser implements gpunet_ray.searchers.AskTellOptimizer")
    return core


def register_searcher(name: str, factory: Callable[..., Any], *, multi_objective: bool,
                      options: Iterable[str] | None = None) -> None:
    """Make ``factory(space=, metric=, mode=, points_to_evaluate=, seed=, **options)`` -> a Tune
    ``Searcher`` available as ``get_searcher(name, ...)``; ``multi_objective``: it takes lists of
    metrics and modes."""
    _SEARCHERS.register(name, factory, multi_objective, options)


def list_searchers(multi_objective: bool | None = None) -> list[str]:
    """Names :func:`get_searcher` takes (import paths work as well), sorted."""
    return _SEARCHERS.names(multi_objective)


def searcher_info(name: str) -> RegistryInfo:
    """The factory and declared capabilities of a Tune searcher name, import path or entry point."""
    return _SEARCHERS.info(name)


def get_searcher(name: str, space: Any = None, metric: Any = None, mode: Any = None,
                 points_to_evaluate: list | None = None, seed: Any = None, **opts: Any) -> Any:
    """A Ray Tune ``Searcher`` by name (``lamcts``, ``random``, ``optuna-tpe``, ``hebo``, ...)."""
    n = max(len(x) if isinstance(x, (list, tuple)) else 1 for x in (metric, mode))
    info = _SEARCHERS.checked(name, opts, n)
    return info.factory(space=space, metric=metric, mode=mode, points_to_evaluate=points_to_evaluate,
                        seed=seed, **opts)


# -- built-ins --------------------------------------------------------------------------------------
def _optuna_tune(space=None, metric=None, mode=None, points_to_evaluate=None, seed=None, **opts):
    try:
        import optuna
        from ray.tune.search.optuna import OptunaSearch
    except ImportError:
        raise ConfigError("searcher 'optuna-tpe' needs optuna: pip install optuna") from None
    if space is not None and not isinstance(space, dict):
        raise ConfigError("searcher 'optuna-tpe' takes a Ray Tune param space dict (or none: Tuner's param_space)")
    sampler = optuna.samplers.TPESampler(seed=seed, constant_liar=True, **opts)
    return OptunaSearch(space=space or None, metric=metric, mode=mode, points_to_evaluate=points_to_evaluate,
                        sampler=sampler)


def _hebo_tune(space=None, metric=None, mode=None, points_to_evaluate=None, seed=None, **opts):
    try:
        import hebo  # noqa: F401
        from ray.tune.search.hebo import HEBOSearch
    except ImportError:
        raise ConfigError("searcher 'hebo' needs HEBO: pip install --no-deps hebo && "
                          "pip install --only-binary :all: 'pymoo>=0.6' disjoint-set catboost") from None
    if space is not None and not isinstance(space, dict):
        raise ConfigError("searcher 'hebo' takes a Ray Tune param space dict (or none: Tuner's param_space)")
    return HEBOSearch(space=space or None, metric=metric, mode=mode, points_to_evaluate=points_to_evaluate,
                      random_state_seed=seed, **opts)


def _builtins() -> None:
    core, peers, tune = "gpunet_ray.searchers._core", "gpunet_ray.searchers._peers", "gpunet_ray.searchers._tune"
    rand = "gpunet_ray.searchers._random"
    for name, factory, multi in (
        ("lamcts", _Lazy(f"{core}:LAMCTS"), True),
        ("lamcts-turbo", _Lazy(f"{core}:LAMCTS", fixed={"sampler": "turbo"}), True),
        ("random", _Lazy(f"{rand}:RandomCore", ignored=("n_init",)), True),
        ("optuna-tpe", _Lazy(f"{peers}:OptunaCore", fixed={"sampler": "tpe"}), False),
        ("optuna-gp", _Lazy(f"{peers}:OptunaCore", fixed={"sampler": "gp"}), False),
        ("hebo", _Lazy(f"{peers}:HEBOCore"), False),
    ):
        register_optimizer(name, factory, multi_objective=multi)
    _OPTIMIZERS.mark_builtin()
    for name, factory, multi in (
        ("lamcts", _Lazy(f"{tune}:LAMCTSSearch"), True),
        ("random", _Lazy(f"{tune}:RandomSearch"), True),
        ("optuna-tpe", _optuna_tune, True),
        ("hebo", _hebo_tune, False),
    ):
        _SEARCHERS.register(name, factory, multi, origin="built-in")


_builtins()
