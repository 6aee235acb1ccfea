"""Training trials for Ray Tune: data loaders, the training loop, the function trainable.

Public names (imported on first use, so ``import gpunet_ray.trainables`` stays cheap):

* :func:`train_candidate` -- the Tune function trainable; :func:`run_candidate` -- its Ray-free core;
  :func:`trial_resources` -- per-trial resources from config; :func:`check_trial_config`;
  :func:`spec_from_config`; :func:`infeasible_result`;
* :func:`train` -- the training loop without Ray; :func:`final_train` -- the long recipe with
  optional distillation (``hub train``), :func:`final_recipe` (its recipe), :func:`search_recipe`
  (the data recipe a search used, which ``hub train`` inherits), :func:`default_threads`;
  :class:`TrainResult`, :func:`resolve_teacher`, :func:`load_teacher`, :func:`load_checkpoint`;
* :class:`Recipe` -- the frozen recipe (``Recipe()`` proxy, ``Recipe.long()`` final);
* :func:`make_loader` -- DALI GPU / DALI CPU / torchvision input pipelines, :class:`Augment`.
"""

from __future__ import annotations

from gpunet_ray._lazy import lazy_attributes


_LAZY = {
    "train_candidate": ".trainable",
    "run_candidate": ".trainable",
    "trial_resources": ".trainable",
    "check_trial_config": ".trainable",
    "spec_from_config": ".trainable",
    "infeasible_result": ".trainable",
    "train": ".loop",
    "final_train": ".loop",
    "final_recipe": ".loop",
    "default_threads": ".loop",
    "search_recipe": ".recipe",
    "resolve_teacher": ".teacher",
    "TrainResult": ".loop",
    "load_teacher": ".teacher",
    "load_checkpoint": ".checkpoint",
    "Recipe": ".recipe",
    "make_loader": ".loaders",
    "Augment": ".loaders",
    "dali_available": ".loaders",
}

__all__ = sorted(_LAZY)


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)  # the heavy modules load on first use
