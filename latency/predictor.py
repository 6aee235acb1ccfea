"""Learned latency predictor: architecture features -> latency (ms), for pre-screening candidates.

Features (:func:`arch_features`, pure Python via :func:`arch_stats`): resolution, MACs, parameters
and activation traffic, the same per layer kind (conv / fused-IRB / IRB / tail, split by SE and
activation), and per stage (depth, width, kernel, expansion, SE, swish, MACs, feature-map size).

Model: the mean of a ridge regression on log-features (log latency target) and a gradient-boosted
tree ensemble on the residual structure -- both scikit-learn, both cheap to refit. Persistence is
JSON only: :meth:`LatencyPredictor.save` writes the training features, targets, hyper-parameters
and a feature-layout version; :meth:`LatencyPredictor.load` refits deterministically. No pickle.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from gpunet_ray.errors import ConfigError
from gpunet_ray.search_space.blocks import FEATURE_KINDS

from .timing import kendall_tau, mape

__all__ = ["LatencyPredictor", "arch_features", "feature_names", "FEATURE_VERSION"]

FEATURE_VERSION = 1
_N_STAGES = 8
_KINDS = FEATURE_KINDS  # one group per BlockType.feature_kind
_STAGE_FIELDS = ("depth", "width", "kernel", "expansion", "se", "swish", "mmacs", "in_hw")
_KIND_FIELDS = ("mmacs", "macts", "count", "se", "swish_macts", "dw_mmacs")


def feature_names() -> list[str]:
    names = ["resolution", "log_mmacs", "mparams", "macts", "n_layers", "final_hw", "log_macts",
             "mmacs", "weights_traffic"]
    names += [f"{k}_{f}" for k in _KINDS for f in _KIND_FIELDS]
    names += [f"s{i}_{f}" for i in range(_N_STAGES) for f in _STAGE_FIELDS]
    return names


def arch_features(spec) -> np.ndarray:
    """Fixed-length float vector for ``spec`` (see :func:`feature_names`); stages >= 8 fold into 7.

    Each layer adds to the feature group its block type names
    (:meth:`~gpunet_ray.search_space.blocks.BlockType.predictor_kind`), and its depthwise MACs
    (:meth:`~gpunet_ray.search_space.blocks.BlockType.dw_macs`) to ``<kind>_dw_mmacs``.
    """
    from gpunet_ray.search_space.blocks import get_block
    from gpunet_ray.search_space.stats import arch_stats

    st = arch_stats(spec)
    kind = {k: dict.fromkeys(_KIND_FIELDS, 0.0) for k in _KINDS}
    stage = [dict.fromkeys(_STAGE_FIELDS, 0.0) for _ in range(_N_STAGES)]
    hw_in = spec.resolution
    for i, (layer, ls) in enumerate(zip(spec.layers, st.layers)):
        block = get_block(layer.type)
        k = block.predictor_kind(i)
        d = kind[k]
        d["mmacs"] += ls.macs / 1e6
        d["macts"] += ls.activations / 1e6
        d["count"] += 1
        d["se"] += 1.0 if layer.use_se else 0.0
        if layer.act == "swish" or (k == "stem" and layer.act is None):
            d["swish_macts"] += ls.activations / 1e6
        dw = block.dw_macs(layer, ls.out_hw, spec.distill)
        if dw:
            d["dw_mmacs"] += dw / 1e6
        if block.role != "tail":
            label = 0 if block.role == "stem" else (layer.stage if layer.stage is not None else 0)
            _add_stage(stage[min(max(int(label), 0), _N_STAGES - 1)], layer, ls, hw_in)
        hw_in = ls.out_hw
    glob = [spec.resolution, math.log(st.macs / 1e6 + 1e-3), st.params / 1e6, st.activations / 1e6,
            len(spec.layers), st.final_hw, math.log(st.activations / 1e6 + 1e-3), st.macs / 1e6,
            st.params / 1e6 * 4]
    vec = glob + [kind[k][f] for k in _KINDS for f in _KIND_FIELDS]
    vec += [stage[i][f] for i in range(_N_STAGES) for f in _STAGE_FIELDS]
    return np.asarray(vec, dtype=float)


def _add_stage(s: dict, layer, ls, hw_in: int) -> None:
    if s["depth"] == 0:
        s["in_hw"] = hw_in
    s["depth"] += 1
    s["width"] = layer.out_chs
    s["kernel"] = max(s["kernel"], layer.kernel or 3)
    s["expansion"] = max(s["expansion"], float(layer.expansion or 0))
    s["se"] = max(s["se"], 1.0 if layer.use_se else 0.0)
    s["swish"] = max(s["swish"], 1.0 if (layer.act or "swish") == "swish" else 0.0)
    s["mmacs"] += ls.macs / 1e6


def _features(specs: Sequence) -> np.ndarray:
    from gpunet_ray.search_space import as_spec

    return np.stack([arch_features(as_spec(s)) for s in specs]) if len(specs) else np.zeros((0, len(feature_names())))


class LatencyPredictor:
    """Predict latency (ms) from architecture; fit on measured records of *one* backend/device.

    ``model``: ``"ensemble"`` (default: mean of ``"ridge"`` and ``"gbr"`` in log space),
    ``"ridge"`` or ``"gbr"``. ``seed``: the tree model's random state.
    """

    MODELS = ("ensemble", "ridge", "gbr")

    def __init__(self, model: str = "ensemble", seed: int = 0, **meta: Any) -> None:
        if model not in self.MODELS:
            raise ConfigError(f"unknown predictor model {model!r}; use one of {', '.join(self.MODELS)}")
        self.model = model
        self.seed = int(seed)
        self.meta = dict(meta)  # e.g. backend, device, fingerprint of the training records
        self._X: np.ndarray | None = None
        self._y: np.ndarray | None = None
        self._fitted: dict[str, Any] = {}

    # -- fitting -------------------------------------------------------------------------------
    def fit(self, specs: Sequence, latencies_ms: Sequence[float]) -> "LatencyPredictor":
        """Fit on ``specs`` and their measured ``latencies_ms`` (median, ms, > 0)."""
        y = np.asarray(latencies_ms, dtype=float).ravel()
        X = _features(specs)
        if len(X) != len(y):
            raise ConfigError(f"fit got {len(X)} specs but {len(y)} latencies")
        return self._fit_xy(X, y)

    def _fit_xy(self, X: np.ndarray, y: np.ndarray) -> "LatencyPredictor":
        if len(y) < 5:
            raise ConfigError(f"the predictor needs at least 5 measured architectures, got {len(y)}")
        if not np.all(np.isfinite(y)) or np.any(y <= 0):
            raise ConfigError("latencies must be finite and positive (milliseconds)")
        if X.shape[1] != len(feature_names()):
            raise ConfigError(f"feature width {X.shape[1]} != {len(feature_names())} (feature version mismatch)")
        from sklearn.ensemble import GradientBoostingRegressor
        from sklearn.linear_model import RidgeCV
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        self._X, self._y = np.asarray(X, dtype=float), y
        t = np.log(y)
        Z = self._transform(self._X)
        self._fitted = {}
        if self.model in ("ridge", "ensemble"):
            self._fitted["ridge"] = make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-3, 3, 13))).fit(Z, t)
        if self.model in ("gbr", "ensemble"):
            self._fitted["gbr"] = GradientBoostingRegressor(
                n_estimators=400, learning_rate=0.05, max_depth=3, subsample=0.8, random_state=self.seed
            ).fit(Z, t)
        return self

    @staticmethod
    def _transform(X: np.ndarray) -> np.ndarray:
        # log1p on the non-negative, heavy-tailed columns makes latency ~ additive in log space
        return np.concatenate([X, np.log1p(np.clip(X, 0, None))], axis=1)

    @property
    def fitted(self) -> bool:
        return bool(self._fitted)

    def predict(self, specs: Sequence) -> np.ndarray:
        """Predicted median latency (ms), shape ``(len(specs),)``."""
        if not self._fitted:
            raise ConfigError("the latency predictor is not fitted; call fit() or load() first")
        return self._predict_x(_features(specs))

    def _predict_x(self, X: np.ndarray) -> np.ndarray:
        if len(X) == 0:
            return np.zeros(0)
        Z = self._transform(np.asarray(X, dtype=float))
        preds = [m.predict(Z) for m in self._fitted.values()]
        return np.exp(np.mean(preds, axis=0))

    # -- evaluation ----------------------------------------------------------------------------
    def evaluate(self, specs: Sequence, latencies_ms: Sequence[float]) -> dict:
        """``{"kendall_tau", "mape", "n"}`` of predictions against measured latencies."""
        pred = self.predict(specs)
        y = np.asarray(latencies_ms, dtype=float)
        return {"kendall_tau": kendall_tau(y, pred), "mape": mape(y, pred), "n": int(len(y))}

    @classmethod
    def holdout_eval(cls, specs: Sequence, latencies_ms: Sequence[float], test_frac: float = 0.25,
                     seed: int = 0, model: str = "ensemble") -> dict:
        """Fit on a random ``1 - test_frac`` split and report τ / MAPE on the held-out rest."""
        if not 0 < test_frac < 1:
            raise ConfigError(f"test_frac must be in (0, 1), got {test_frac}")
        y = np.asarray(latencies_ms, dtype=float)
        n = len(y)
        if n != len(specs) or n < 10:
            raise ConfigError(f"hold-out evaluation needs >= 10 measured architectures, got {n}")
        perm = np.random.default_rng(seed).permutation(n)
        n_test = max(2, int(round(n * test_frac)))
        test, train = perm[:n_test], perm[n_test:]
        X = _features(specs)
        pred = cls(model=model, seed=seed)._fit_xy(X[train], y[train])
        p = pred._predict_x(X[test])
        return {"kendall_tau": kendall_tau(y[test], p), "mape": mape(y[test], p), "n_train": int(len(train)),
                "n_test": int(len(test)), "model": model}

    # -- persistence (JSON, never pickle) ------------------------------------------------------
    def to_dict(self) -> dict:
        if self._X is None:
            raise ConfigError("the latency predictor is not fitted; nothing to save")
        return {"format": "gpunet_ray.latency_predictor", "feature_version": FEATURE_VERSION,
                "feature_names": feature_names(), "model": self.model, "seed": self.seed, "meta": self.meta,
                "X": self._X.tolist(), "y": self._y.tolist()}

    def save(self, path: str | os.PathLike) -> Path:
        """Write the training set + settings as JSON (atomic); :meth:`load` refits from it."""
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_name(p.name + f".{os.getpid()}.part")
        try:
            tmp.write_text(json.dumps(self.to_dict()))
            tmp.replace(p)
        finally:
            tmp.unlink(missing_ok=True)
        return p

    @classmethod
    def from_dict(cls, d: dict) -> "LatencyPredictor":
        if not isinstance(d, dict) or d.get("format") != "gpunet_ray.latency_predictor":
            raise ConfigError("not a latency predictor file (format tag missing); pass a file written by save()")
        if d.get("feature_version") != FEATURE_VERSION or d.get("feature_names") != feature_names():
            raise ConfigError(
                f"latency predictor file uses feature version {d.get('feature_version')}, this code uses "
                f"{FEATURE_VERSION}; refit it from the measured table (predict-eval --save)"
            )
        try:
            X = np.asarray(d["X"], dtype=float)
            y = np.asarray(d["y"], dtype=float)
            pred = cls(model=d["model"], seed=int(d["seed"]), **dict(d.get("meta") or {}))
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"malformed latency predictor file: {exc}") from None
        if X.ndim != 2 or len(X) != len(y):
            raise ConfigError("malformed latency predictor file: X and y do not match")
        return pred._fit_xy(X, y)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "LatencyPredictor":
        """Read a JSON file written by :meth:`save` and refit (deterministic, no pickle)."""
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"latency predictor file {str(p)!r} does not exist")
        try:
            d = json.loads(p.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ConfigError(f"latency predictor file {str(p)!r} is not valid JSON ({exc})") from None
        return cls.from_dict(d)
