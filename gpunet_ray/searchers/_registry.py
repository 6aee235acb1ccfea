"""Name registries: Ray Tune searchers (for the CLI) and ask/tell optimisers (for the benchmark)."""

from __future__ import annotations

from typing import Any, Callable

from gpunet_ray.errors import ConfigError

__all__ = ["get_searcher", "list_searchers", "get_optimizer", "list_optimizers", "register_searcher"]


def _lamcts_tune(**kw):
    from ._tune import LAMCTSSearch

    return LAMCTSSearch(**kw)


def _random_tune(**kw):
    from ._tune import RandomSearch

    return RandomSearch(**kw)


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


_SEARCHERS: dict[str, Callable[..., Any]] = {
    "lamcts": _lamcts_tune,
    "random": _random_tune,
    "optuna-tpe": _optuna_tune,
    "hebo": _hebo_tune,
}


def register_searcher(name: str, factory: Callable[..., Any]) -> None:
    """Register a Tune searcher factory ``factory(space=, metric=, mode=, points_to_evaluate=, seed=, **opts)``."""
    _SEARCHERS[name] = factory


def list_searchers() -> list[str]:
    """Names accepted by :func:`get_searcher`."""
    return sorted(_SEARCHERS)


def get_searcher(name: str, space=None, metric=None, mode=None, points_to_evaluate=None, seed=None, **opts):
    """A Ray Tune ``Searcher`` by name (``lamcts``, ``random``, ``optuna-tpe``, ``hebo``)."""
    if name not in _SEARCHERS:
        raise ConfigError(f"unknown searcher {name!r}; use one of {', '.join(list_searchers())}")
    return _SEARCHERS[name](space=space, metric=metric, mode=mode, points_to_evaluate=points_to_evaluate,
                            seed=seed, **opts)


def _opt_lamcts(domain, **kw):
    from ._core import LAMCTS

    return LAMCTS(domain, **kw)


def _opt_turbo(domain, **kw):
    from ._core import LAMCTS

    return LAMCTS(domain, sampler="turbo", **kw)


def _opt_random(domain, **kw):
    from ._peers import RandomCore

    kw.pop("n_init", None)
    return RandomCore(domain, **kw)


def _opt_optuna(sampler):
    def make(domain, **kw):
        from ._peers import OptunaCore

        return OptunaCore(domain, sampler=sampler, **kw)

    return make


def _opt_hebo(domain, **kw):
    from ._peers import HEBOCore

    return HEBOCore(domain, **kw)


_OPTIMIZERS: dict[str, Callable[..., Any]] = {
    "lamcts": _opt_lamcts,
    "lamcts-turbo": _opt_turbo,
    "random": _opt_random,
    "optuna-tpe": _opt_optuna("tpe"),
    "optuna-gp": _opt_optuna("gp"),
    "hebo": _opt_hebo,
}


def list_optimizers() -> list[str]:
    """Names accepted by :func:`get_optimizer` (ask/tell objects, no Ray)."""
    return sorted(_OPTIMIZERS)


def get_optimizer(name: str, domain, *, seed=None, maximize=True, **opts):
    """An ask/tell optimiser by name: ``ask(n) -> [config]``, ``tell(config, value, feasible=True)``."""
    if name not in _OPTIMIZERS:
        raise ConfigError(f"unknown optimiser {name!r}; use one of {', '.join(list_optimizers())}")
    return _OPTIMIZERS[name](domain, seed=seed, maximize=maximize, **opts)
