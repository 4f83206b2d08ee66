"""Writes test/fixtures/flow-match-schedules.json: sigmas and timesteps from diffusers' own
FlowMatchEulerDiscreteScheduler, for the TypeScript port's test.

reference/scheduling_flow_match_euler_discrete.py is that file unchanged, from
huggingface/diffusers at commit 58eb52c0803ea9af3abec60841c2a093bdf1f951 (0.40.0.dev0).
It is run here as diffusers runs it: only its imports of diffusers' config and logging
helpers are given small stand-ins (the config records the constructor's arguments, as
diffusers' register_to_config does). The schedules are set up as the pipelines set them:

- Z-Image: sigmas = torch.linspace(1, 1/N, N) passed in, mu from calculate_shift (ignored when
  the config does not shift dynamically), sigma_min left as the config makes it;
- SD3: no sigmas passed (the scheduler's default spacing from its own shifted ends);
- Flux: sigmas = linspace(1, 1/N, N) passed in, dynamic shifting with mu.

  /usr/bin/python3 flow_schedule.py
"""

import functools
import importlib.util
import inspect
import json
import os
import sys
import types

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "test", "fixtures", "flow-match-schedules.json")
SOURCE = "huggingface/diffusers@58eb52c0803ea9af3abec60841c2a093bdf1f951 src/diffusers/schedulers/scheduling_flow_match_euler_discrete.py"


def stand_ins():
    """The diffusers modules the scheduler imports, reduced to what it uses."""

    class Config(dict):
        __getattr__ = dict.__getitem__

    def register_to_config(init):
        @functools.wraps(init)
        def wrapper(self, *args, **kwargs):
            bound = inspect.signature(init).bind(self, *args, **kwargs)
            bound.apply_defaults()
            self.config = Config({k: v for k, v in bound.arguments.items() if k != "self"})
            init(self, *args, **kwargs)

        return wrapper

    package = types.ModuleType("diffusers")
    package.__path__ = []
    modules = {
        "diffusers": package,
        "diffusers.schedulers": types.ModuleType("diffusers.schedulers"),
        "diffusers.configuration_utils": types.ModuleType("diffusers.configuration_utils"),
        "diffusers.utils": types.ModuleType("diffusers.utils"),
        "diffusers.utils.torch_utils": types.ModuleType("diffusers.utils.torch_utils"),
        "diffusers.schedulers.scheduling_utils": types.ModuleType("diffusers.schedulers.scheduling_utils"),
    }
    modules["diffusers.schedulers"].__path__ = []
    modules["diffusers.configuration_utils"].ConfigMixin = type("ConfigMixin", (), {})
    modules["diffusers.configuration_utils"].register_to_config = register_to_config
    utils = modules["diffusers.utils"]
    utils.BaseOutput = object
    utils.is_scipy_available = lambda: False
    utils.logging = types.SimpleNamespace(get_logger=lambda name: types.SimpleNamespace(warning=print))
    modules["diffusers.utils.torch_utils"].randn_tensor = None
    modules["diffusers.schedulers.scheduling_utils"].SchedulerMixin = type("SchedulerMixin", (), {})
    sys.modules.update(modules)


def load_scheduler_class():
    stand_ins()
    path = os.path.join(HERE, "reference", "scheduling_flow_match_euler_discrete.py")
    spec = importlib.util.spec_from_file_location("diffusers.schedulers.scheduling_flow_match_euler_discrete", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.FlowMatchEulerDiscreteScheduler


def calculate_shift(image_seq_len, base_seq_len=256, max_seq_len=4096, base_shift=0.5, max_shift=1.15):
    """diffusers' pipelines' calculate_shift (Flux, Z-Image), verbatim in substance."""
    m = (max_shift - base_shift) / (max_seq_len - base_seq_len)
    b = base_shift - m * base_seq_len
    return image_seq_len * m + b


CASES = [
    # Z-Image-Turbo's scheduler_config.json: static shift 3.
    {"name": "z-image-turbo", "config": {"num_train_timesteps": 1000, "shift": 3.0, "use_dynamic_shifting": False}, "spacing": "z-image", "image_seq_len": 4096},
    # SD3's scheduler_config.json: static shift 3, default spacing.
    {"name": "sd3", "config": {"num_train_timesteps": 1000, "shift": 3.0}, "spacing": "scheduler"},
    # Flux.1-dev's: dynamic shifting.
    {
        "name": "flux-dynamic",
        "config": {"num_train_timesteps": 1000, "shift": 3.0, "use_dynamic_shifting": True, "base_shift": 0.5, "max_shift": 1.15, "base_image_seq_len": 256, "max_image_seq_len": 4096},
        "spacing": "pipeline",
        "image_seq_len": 1024,
    },
    {
        "name": "flux-dynamic-small",
        "config": {"num_train_timesteps": 1000, "shift": 3.0, "use_dynamic_shifting": True, "base_shift": 0.5, "max_shift": 1.15, "base_image_seq_len": 256, "max_image_seq_len": 4096},
        "spacing": "pipeline",
        "image_seq_len": 64,
    },
    {"name": "linear-shift", "config": {"num_train_timesteps": 1000, "use_dynamic_shifting": True, "time_shift_type": "linear"}, "spacing": "pipeline", "image_seq_len": 2048},
    {"name": "unshifted", "config": {"num_train_timesteps": 1000}, "spacing": "scheduler"},
]
STEPS = [1, 4, 8, 9, 28]


def main():
    Scheduler = load_scheduler_class()
    out = {"source": SOURCE, "cases": []}
    for case in CASES:
        for steps in STEPS:
            scheduler = Scheduler(**case["config"])
            kwargs = {}
            if case.get("image_seq_len"):
                c = scheduler.config
                kwargs["mu"] = calculate_shift(case["image_seq_len"], c.base_image_seq_len, c.max_image_seq_len, c.base_shift, c.max_shift)
            if case["spacing"] == "z-image":
                # get_default_z_image_sigmas: torch.linspace, in float32
                scheduler.set_timesteps(sigmas=torch.linspace(1.0, 1 / steps, steps).tolist(), **kwargs)
            elif case["spacing"] == "pipeline":
                # Flux's: np.linspace
                scheduler.set_timesteps(sigmas=np.linspace(1.0, 1 / steps, steps).tolist(), **kwargs)
            else:
                scheduler.set_timesteps(steps, **kwargs)
            out["cases"].append(
                {
                    "name": case["name"],
                    "config": case["config"],
                    "spacing": case["spacing"],
                    "image_seq_len": case.get("image_seq_len"),
                    "mu": kwargs.get("mu"),
                    "steps": steps,
                    "sigmas": [float(s) for s in scheduler.sigmas],
                    "timesteps": [float(t) for t in scheduler.timesteps],
                }
            )
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1)
    print(f"wrote {len(out['cases'])} schedules to {OUT}")


if __name__ == "__main__":
    main()
