"""One training loop for every modality, on Lightning Fabric.

step -> backward -> clip -> optimiser -> EMA -> schedules -> log (+ probe, collapse watch) -> checkpoint.
"""

from __future__ import annotations

import dataclasses
import json
import math
import signal
import time
import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import torch
from lightning_fabric import Fabric
from lightning_fabric.loggers import TensorBoardLogger
from torch.utils.data import DataLoader, Dataset

from jepa_domains.core.schedules import cosine_ramp, ema_momentum, schedule_init_weight, warmup_cosine
from jepa_domains.data.shards import ShardDataset, open_dataset
from jepa_domains.logs import get_logger
from jepa_domains.modalities.base import resolve_data_root
from jepa_domains.train import checkpoint as ckpt
from jepa_domains.train.build import adapter_and_options, build
from jepa_domains.train.collapse import DIAGNOSTIC_NAMES, CollapseThresholds, collapse_reasons, collapse_report
from jepa_domains.train.config import (ConfigError, RunConfig, from_dict, modality_options, parse_override, save_yaml,
                                      set_dotted, to_dict)
from jepa_domains.train.interrupt import StopOnSignal
from jepa_domains.train.launch import make_strategy, sync_batch_norm
from jepa_domains.train.loader import KeyedDataset, MaskingCollator, ShardedBatchSampler
from jepa_domains.train.online_probe import PROBE_BUDGET, OnlineProbe, resolve_probe_every
from jepa_domains.train.progress import Progress

logger = get_logger(__name__)
COLLAPSE_THRESHOLDS = CollapseThresholds()

# Keys a resumed run may change: where and how it runs, never what it computes. Changing the
# number of processes is safe because the data order and the masks depend only on
# (seed, epoch, sample index) and the global batch size, not on the world size.
RESUME_KEYS = ("train.devices", "train.num_nodes", "train.strategy", "train.accelerator", "train.precision",
               "train.progress", "data.num_workers", "data.data_root", "train.probe_every", "train.probe_samples")
# Keys a resume may change on purpose to extend a run: ``train.steps`` beyond the planned total.
# The schedules (LR, weight decay, EMA momentum, masking curriculum) are functions of the total,
# so they are re-stretched over the new one from the current step on: an extended run is not
# the run it would have been with the larger total from the start.
EXTEND_KEYS = ("train.steps",)


class RunFinishedError(RuntimeError):
    """``--resume`` of a run that has already trained all its steps: nothing was changed."""


class TrainingInterrupted(RuntimeError):
    """SIGINT/SIGTERM stopped training after a step; the checkpoint of that step was written."""

    def __init__(self, message: str, *, signal_number: int, step: int, run_dir: Path) -> None:
        super().__init__(message)
        self.signal_number, self.step, self.run_dir = signal_number, step, run_dir


def _check_extension(value: Any, *, done: int, planned: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value <= max(done, planned - 1):
        raise ConfigError(f"train.steps={value!r} on resume must extend the run beyond step {max(done, planned)} "
                          f"(its planned {planned} steps, {done} done)")


class NonFiniteLossError(RuntimeError):
    """The loss became NaN or infinite; the message names the step and the samples."""


@dataclass
class RunResult:
    run_dir: Path
    steps: int
    final_loss: float
    wall_seconds: float
    samples_per_second: float
    skipped_steps: int
    global_rank: int = 0  # every process of a multi-process run returns a result; report from rank 0


def make_fabric(cfg: RunConfig, loggers: list | None = None) -> Fabric:
    t = cfg.train
    precision = t.precision
    if precision == "auto":
        precision = "bf16-mixed" if torch.cuda.is_available() and t.accelerator in ("auto", "gpu", "cuda") else "32-true"
    return Fabric(accelerator=t.accelerator, devices=t.devices, num_nodes=t.num_nodes, strategy=make_strategy(t.strategy),
                  precision=precision, loggers=loggers or [])


def default_run_dir(cfg: RunConfig) -> Path:
    return Path("runs") / f"{cfg.modality_name}-{datetime.now():%Y%m%d-%H%M%S}"


def param_groups(model: torch.nn.Module) -> list[dict[str, Any]]:
    """Weight decay on matrices only; biases, norms and tokens go undecayed (I-JEPA)."""
    decay, no_decay = [], []
    for p in model.parameters():
        if p.requires_grad:
            (decay if p.ndim >= 2 else no_decay).append(p)
    return [{"params": decay, "wd_scale": 1.0}, {"params": no_decay, "wd_scale": 0.0, "weight_decay": 0.0}]


class Trainer:
    """Runs (or resumes) the pretraining of one config into ``run_dir``."""

    def __init__(self, cfg: RunConfig | None, run_dir: Path | None = None, resume: Path | None = None,
                 overrides: list[str] | None = None, dataset: Dataset | None = None) -> None:
        """``overrides`` (``key=value`` strings, only with ``resume``) may change the keys in
        :data:`RESUME_KEYS`, e.g. ``train.devices=1`` to continue a 2-process run on one.
        ``dataset`` trains on samples held in memory instead of ``data.source`` (the run then
        records ``data.source`` as given, so resuming needs the same ``dataset`` again)."""
        self.given_dataset = dataset
        self.resume_state = None
        if overrides and resume is None:
            raise ConfigError("overrides are only for resuming; put them in the config of a new run")
        if resume is not None:
            self.resume_state, self.resume_path = ckpt.load_with_source(resume)
            tree = self.resume_state["config"]
            for text in overrides or []:
                key, value = parse_override(text)
                if key not in RESUME_KEYS + EXTEND_KEYS:
                    raise ConfigError(f"cannot change {key!r} when resuming (it would change the run); "
                                      f"allowed: {', '.join(RESUME_KEYS + EXTEND_KEYS)}")
                if key == "train.steps":
                    _check_extension(value, done=int(self.resume_state["step"]), planned=tree["train"]["steps"])
                set_dotted(tree, key, value)
            cfg = from_dict(RunConfig, tree)
            run_dir = run_dir or (Path(resume) if Path(resume).is_dir() else Path(resume).parent.parent)
        self.cfg = cfg
        self.run_dir = Path(run_dir) if run_dir is not None else default_run_dir(cfg)
        if self.resume_state is not None:
            _warn_config_edits(self.run_dir / "config.yaml", cfg)

    # -- pieces --------------------------------------------------------------------------
    def _setup(self) -> None:
        cfg = self.cfg
        self.run_dir.mkdir(parents=True, exist_ok=True)
        if self.resume_state is not None and int(self.resume_state["step"]) >= cfg.train.steps:
            raise RunFinishedError(f"{self.run_dir} has finished its {cfg.train.steps} steps (checkpoint "
                                   f"{self.resume_path.name} at step {self.resume_state['step']}); nothing changed. "
                                   f"To train further, resume with --set train.steps=N (N > {cfg.train.steps}): "
                                   "the schedules are then re-stretched over N steps")
        loggers = [TensorBoardLogger(self.run_dir, name="tensorboard", version="")]
        if cfg.train.cpu_threads > 0:
            torch.set_num_threads(cfg.train.cpu_threads)
        self.fabric = make_fabric(cfg, loggers)
        self.fabric.launch()
        if self.fabric.global_rank == 0 and self.resume_state is not None:
            # rows logged after the checkpoint (and a line cut by a kill) are replayed by the resumed run
            trim_metrics(self.run_dir / "metrics.csv", last_step=int(self.resume_state["step"]))
        if self.fabric.global_rank == 0:
            stale = ckpt.remove_stale_temporaries(self.run_dir / "checkpoints")
            if stale:
                logger.warning(f"[jepa-domains] removed {len(stale)} partial checkpoint file(s) left by an "
                               "interrupted write: " + ", ".join(p.name for p in stale))
        self.fabric.seed_everything(cfg.train.seed, verbose=False)
        # Data first: ``prepare`` may measure statistics the tokenizer is built from.
        self.adapter, self.options = adapter_and_options(cfg)
        data_root = resolve_data_root(cfg.data.data_root)
        self.dataset = self.given_dataset if self.given_dataset is not None else open_dataset(
            self.adapter, self.options, cfg.data.source, split=self.adapter.pretrain_split(self.options),
            data_root=data_root, skip_bad=cfg.data.skip_bad)
        if self.resume_state is None:
            if isinstance(self.dataset, ShardDataset):  # statistics were prepared when sharding
                prepared = {**dataclasses.asdict(self.options), **self.dataset.prepared}
                self.options = modality_options(type(self.options), prepared)
            else:
                self.options = self.adapter.prepare(self.options, self.dataset)
            cfg.modality = dataclasses.asdict(self.options)
        if (cfg.objective.share_tokenizer or cfg.objective.freeze_tokenizer) and self.is_fsdp:
            which = "freeze_tokenizer" if cfg.objective.freeze_tokenizer else "share_tokenizer"
            raise ConfigError(f"objective.{which}=true does not work with train.strategy=fsdp (FSDP cannot "
                              f"shard one tokenizer used by two wrapped encoders); use ddp or {which}=false")
        built = build(cfg)
        self.masker = built.masker
        model = sync_batch_norm(built.model, self.fabric)
        if self.fabric.global_rank == 0:
            save_yaml(cfg, self.run_dir / "config.yaml")
        optimizer = torch.optim.AdamW(param_groups(model), lr=cfg.optim.lr, weight_decay=cfg.optim.weight_decay,
                                      betas=(cfg.optim.beta1, cfg.optim.beta2))
        self.step = 0
        sharded = self.is_fsdp
        if self.resume_state is not None:
            if not sharded:
                model.load_state_dict(self.resume_state["model"])
                optimizer.load_state_dict(self.resume_state["optimizer"])
            self.step = int(self.resume_state["step"])
            torch.set_rng_state(self.resume_state["torch_rng"])
        self.model, self.optimizer = self.fabric.setup(model, optimizer)
        if self.resume_state is not None and sharded:
            # FSDP re-shards full state dicts (weights and optimizer moments) itself: through Fabric
            self.fabric.load(self.resume_path, {"model": self.model, "optimizer": self.optimizer}, strict=False)
        self.loader = self._loader()
        self._setup_probe()

    def _setup_probe(self) -> None:
        """Decide the probe interval and build the probe on rank 0, the only rank that probes."""
        t = self.cfg.train
        labels = self.adapter.labels(self.dataset) if t.probe_every != 0 else None
        self.probe_every = resolve_probe_every(t.probe_every, steps=t.steps, labelled=labels is not None)
        if self.probe_every and self.is_fsdp:
            # a sharded encoder cannot run forward on one rank alone
            if self.fabric.global_rank == 0:
                warnings.warn("online probe is off under FSDP (train.probe_every ignored)", stacklevel=2)
            self.probe_every = 0
        self.probe = None
        if self.probe_every and self.fabric.global_rank == 0:
            self.probe = OnlineProbe.for_dataset(self.adapter, self.options, self.dataset, samples=t.probe_samples,
                                                 seed=t.seed, batch_size=self.cfg.data.batch_size,
                                                 device=self.fabric.device)
            if self.probe is None:
                warnings.warn("online probe off: the probe subset has fewer than two classes", stacklevel=2)
        if t.probe_every and labels is None and self.fabric.global_rank == 0:
            warnings.warn(f"train.probe_every={t.probe_every} but the training data has no labels: "
                          "online probe off", stacklevel=2)

    def _probe_due(self, train_seconds: float) -> bool:
        """Probe after this step? At multiples of the interval and at the last step; in the
        automatic mode only while probing has cost at most :data:`PROBE_BUDGET` of the training
        time (the last step is probed regardless)."""
        if self.probe is None:
            return False
        if self.step == self.cfg.train.steps:
            return True
        if self.step % self.probe_every:
            return False
        return self.cfg.train.probe_every is not None or self.probe.seconds <= PROBE_BUDGET * train_seconds

    def _run_probe(self) -> dict[str, float]:
        """Probe the context encoder (rank 0; {} elsewhere or when there is no probe)."""
        if self.probe is None:
            return {}
        with self.fabric.autocast():
            return self.probe(self.model.module.encoder)

    def _loader(self) -> DataLoader:
        cfg = self.cfg
        world = self.fabric.world_size
        sampler = ShardedBatchSampler(num_samples=len(self.dataset), global_batch=cfg.data.batch_size,
                                      rank=self.fabric.global_rank, world_size=world, seed=cfg.train.seed,
                                      start_batch=self.step * cfg.optim.accumulate, accumulate=cfg.optim.accumulate)
        collator = MaskingCollator(self.adapter, self.options, self.masker, seed=cfg.train.seed,
                                   total_steps=cfg.train.steps)
        return DataLoader(KeyedDataset(self.dataset), batch_sampler=sampler, collate_fn=collator,
                          num_workers=cfg.data.num_workers, persistent_workers=cfg.data.num_workers > 0,
                          pin_memory=self.fabric.device.type == "cuda")

    def _apply_schedules(self) -> dict[str, float]:
        o, t = self.cfg.optim, self.cfg.train
        lr = warmup_cosine(self.step, total=t.steps, warmup=o.warmup_steps, peak=o.lr, final=o.min_lr)
        wd = cosine_ramp(self.step, total=t.steps, start=o.weight_decay, end=o.final_weight_decay)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
            group["weight_decay"] = wd * group["wd_scale"]
        return {"lr": lr, "weight_decay": wd}

    def momentum(self) -> float:
        """EMA momentum of the update after the current step (see :func:`ema_momentum`)."""
        ob = self.cfg.objective
        return ema_momentum(self.step, total=self.cfg.train.steps, start=ob.ema_start, end=ob.ema_end,
                            horizon=ob.ema_horizon)

    def target_init_weight(self, steps: int) -> float:
        """Fraction of the target encoder that is still its initialisation after ``steps`` EMA
        updates of this run's schedule (skipped steps ignored)."""
        ob = self.cfg.objective
        return schedule_init_weight(steps, total=self.cfg.train.steps, start=ob.ema_start, end=ob.ema_end,
                                    horizon=ob.ema_horizon)

    @property
    def is_fsdp(self) -> bool:
        from lightning_fabric.strategies import FSDPStrategy

        return isinstance(self.fabric.strategy, FSDPStrategy)

    def save(self, name: str = "last.pt") -> None:
        """Write the checkpoint once (rank 0), atomically, keeping the one it replaces as
        ``previous.pt``; collective under FSDP, so every rank must call it."""
        path = self.run_dir / "checkpoints" / name
        meta = {"format_version": ckpt.FORMAT_VERSION, "step": self.step, "torch_rng": torch.get_rng_state(),
                "config": to_dict(self.cfg)}
        if self.is_fsdp:
            # gathering the full state dict needs every rank; rank 0 writes a temp file, renamed after
            tmp = path.with_name(path.name + ".fsdp.tmp")
            path.parent.mkdir(parents=True, exist_ok=True)
            self.fabric.save(tmp, {**meta, "model": self.model, "optimizer": self.optimizer})
            if self.fabric.global_rank == 0:
                state = torch.load(tmp, weights_only=True)
                state["model"] = ckpt.clean_state_dict(state["model"])
                ckpt.save_atomic(state, path, keep_previous=True)
                tmp.unlink()
            self.fabric.barrier()
            return
        if self.fabric.global_rank != 0:
            return
        state = {**meta, "model": ckpt.clean_state_dict(self.model.state_dict()),
                 "optimizer": self.optimizer.state_dict()}
        ckpt.save_atomic(state, path, keep_previous=True)

    def _global_logs(self, logs: dict[str, torch.Tensor]) -> dict[str, float]:
        """Logged scalars averaged over ranks (one collective). The loss of each rank is
        already scaled to the global token count, so the mean is the global-batch loss."""
        names = sorted(logs)
        values = torch.stack([logs[k].detach().float().reshape(()) for k in names])
        if self.fabric.world_size > 1:
            values = self.fabric.all_reduce(values, reduce_op="mean")
        return dict(zip(names, values.tolist()))

    # -- loop ----------------------------------------------------------------------------
    def fit(self, stop_at: int | None = None) -> RunResult:
        """Train to ``cfg.train.steps``; ``stop_at`` ends early (checkpoint written), as an
        interruption would, so that a later ``--resume`` continues the same schedule."""
        self._setup()
        cfg, fabric = self.cfg, self.fabric
        total = cfg.train.steps
        rank0 = fabric.global_rank == 0
        if rank0:
            self._announce()
        progress = Progress(total=total, initial=self.step, desc=f"train {cfg.modality_name}",
                            log_every=cfg.train.log_every, enabled=cfg.train.progress and rank0)
        self._start, self._samples, self._skipped, self._last_loss = time.perf_counter(), 0, 0, float("nan")
        self.latest: dict[str, float] = {}        # last logged value of every metric
        self.final_diagnostics: dict[str, float] | None = None
        self.model.train()
        end = total if stop_at is None else min(total, stop_at)
        if self.step == 0 and self.probe is not None:
            self._log(self._run_probe(), progress)     # the random-initialisation level
            progress.update(0)
        with StopOnSignal() as stop:
            self._loop(end, progress, stop)
        progress.close()
        wall = time.perf_counter() - self._start
        result = RunResult(run_dir=self.run_dir, steps=self.step, final_loss=self._last_loss, wall_seconds=wall,
                           samples_per_second=self._samples / max(wall, 1e-9), skipped_steps=self._skipped,
                           global_rank=fabric.global_rank)
        if rank0:
            self._write_summary(result)
        for logger in fabric.loggers:
            logger.finalize("success")
        _teardown_process_group(fabric)
        return result

    def _loop(self, end: int, progress: Progress, stop: StopOnSignal) -> None:
        """Steps until ``end``; a stop signal ends it after the current step, checkpointed."""
        cfg, fabric = self.cfg, self.fabric
        accumulate, total = cfg.optim.accumulate, cfg.train.steps
        start, samples, skipped, last_loss = self._start, 0, 0, float("nan")
        batches = iter(self.loader)
        while self.step < end:
            sched = self._apply_schedules()
            # diagnostics also on the last step, so the collapse verdict describes the final model
            want_diag = self.step % max(1, cfg.train.diagnostics_every) == 0 or self.step == end - 1
            logs: dict[str, torch.Tensor] = {}
            keys_seen = []
            finite, stop_seen = True, False
            for micro in range(accumulate):
                batch, plan, keys = next(batches)
                keys_seen.extend(keys)
                batch, plan = batch.to(fabric.device), plan.to(fabric.device)
                with fabric.no_backward_sync(self.model, enabled=micro < accumulate - 1):
                    out = self.model(batch, plan, seed=self.step, diagnostics=want_diag and micro == 0)
                    # every rank must take the same branch, or the next collective hangs; the same
                    # collective tells every rank whether any of them was asked to stop
                    flags = torch.stack([(~torch.isfinite(out.loss.detach())).float(),
                                         out.loss.new_tensor(float(stop.requested))])
                    bad, stops = fabric.all_reduce(flags, reduce_op="sum").tolist()
                    stop_seen = stop_seen or stops > 0
                    if bad > 0:
                        finite = False
                        break
                    fabric.backward(out.loss / accumulate)
                if out.watch is not None:           # the loss is finite on every rank: safe to measure
                    out.logs.update(self.model.module.diagnostics(*out.watch))
                logs = {**out.logs, **logs} if micro else dict(out.logs)
                samples += len(keys) * fabric.world_size
            if not finite:
                ids = sorted({k.index for k in keys_seen})[:8]
                message = (f"non-finite loss at step {self.step} (epoch {keys_seen[0].epoch}, samples {ids}...)")
                if cfg.train.nonfinite != "skip":
                    raise NonFiniteLossError(message + "; set train.nonfinite=skip to skip such batches")
                warnings.warn(message + ": batch skipped", stacklevel=1)
                self.optimizer.zero_grad(set_to_none=True)
                skipped += 1
                self._skipped = skipped
                self.step += 1
                progress.update(1)
                continue
            if cfg.optim.clip_grad > 0:
                fabric.clip_gradients(self.model, self.optimizer, max_norm=cfg.optim.clip_grad)
            self.optimizer.step()
            self.optimizer.zero_grad(set_to_none=True)
            momentum = self.momentum()
            self.model.update_target(momentum)
            self.step += 1
            last_loss = float(logs["loss"])  # this rank's share until the next logged (global) value
            train_seconds = time.perf_counter() - start - (self.probe.seconds if self.probe is not None else 0.0)
            if self.step % cfg.train.log_every == 0 or self.step == total or want_diag:
                metrics = self._global_logs(logs)
                last_loss = metrics["loss"]
                metrics.update(sched, momentum=momentum, samples_per_second=samples / max(1e-9, train_seconds))
                if want_diag:
                    self._watch_collapse(metrics)
                self._log(metrics, progress)
            # rank 0 only and free of collectives, so the other ranks need not know when it runs
            if self._probe_due(train_seconds):
                self._log(self._run_probe(), progress)
            progress.update(1)
            self._samples, self._last_loss = samples, last_loss
            saved = self.step % cfg.train.checkpoint_every == 0 or self.step == end
            if saved:
                self.save()
            if self._stop_agreed(stop, stop_seen):
                if not saved:
                    self.save()
                progress.close()
                self._interrupted(stop.signal_number or signal.SIGTERM)
        self._samples, self._skipped, self._last_loss = samples, skipped, last_loss

    def _stop_agreed(self, stop: StopOnSignal, seen_by_any_rank: bool) -> bool:
        """Stop after this step? Alone, whenever a signal has arrived; under data parallelism
        only when the step's own collective reported one (``seen_by_any_rank``), so that all
        ranks stop after the same step and write one consistent checkpoint (a signal arriving
        later in the step is picked up by the next step's collective)."""
        return seen_by_any_rank or (self.fabric.world_size == 1 and stop.requested)

    def _interrupted(self, signal_number: int) -> None:
        name = signal.Signals(signal_number).name
        message = (f"{name} at step {self.step}/{self.cfg.train.steps}: checkpoint saved in "
                   f"{self.run_dir / 'checkpoints' / ckpt.LAST}; continue with: jepa-domains train "
                   f"{self.cfg.modality_name} --resume {self.run_dir}")
        raise TrainingInterrupted(message, signal_number=signal_number, step=self.step, run_dir=self.run_dir)

    def _announce(self) -> None:
        """First lines of a run: data, run dir, and how much of the EMA target will have moved."""
        cfg = self.cfg
        logger.info(f"[jepa-domains] {cfg.modality_name}: {len(self.dataset)} training samples "
                    f"({_describe(self.dataset)}); run dir {self.run_dir}")
        ob, total = cfg.objective, cfg.train.steps
        first = ema_momentum(0, total=total, start=ob.ema_start, end=ob.ema_end, horizon=ob.ema_horizon)
        tokenizer = " (frozen tokenizer)" if ob.freeze_tokenizer else " (shared tokenizer)" if ob.share_tokenizer else ""
        logger.info(f"[jepa-domains] EMA momentum {first:.4g} -> {ob.ema_end:.4g}{tokenizer}: after {total} steps "
                    f"{100 * self.target_init_weight(total):.1f} % of the target encoder is still its initialisation"
                    + (f"; online probe every {self.probe_every} steps"
                       + (f" within {PROBE_BUDGET:.0%} of the training time" if cfg.train.probe_every is None else "")
                       if self.probe is not None else ""))

    def _log(self, metrics: dict[str, float], progress: Progress) -> None:
        """Send logged metrics to every sink: loggers (rank 0 inside Fabric), metrics.csv,
        the progress display."""
        if not metrics:
            return
        self.fabric.log_dict(metrics, step=self.step)
        self.latest.update(metrics)
        if self.fabric.global_rank == 0:
            append_metrics(self.run_dir / "metrics.csv", self.step, metrics)
        progress.set_metrics(**{k: v for k, v in metrics.items()
                                if k in ("loss", "lr", "samples_per_second", "probe_knn", "probe_linear")})
        if "probe_knn" in metrics:
            progress.request_line()  # a probe result deserves a line of its own step

    def _watch_collapse(self, metrics: dict[str, float]) -> None:
        """Keep the diagnostics for the run's verdict; warn (rank 0) when they cross the
        :class:`CollapseThresholds`, after warm-up (a fresh predictor legitimately starts near
        constant) and always at the last step."""
        if not set(DIAGNOSTIC_NAMES) <= set(metrics):
            return
        self.final_diagnostics = {k: metrics[k] for k in (*DIAGNOSTIC_NAMES, "effective_rank_max") if k in metrics}
        reasons = collapse_reasons(self.final_diagnostics, COLLAPSE_THRESHOLDS)
        judged = self.step > self.cfg.optim.warmup_steps or self.step == self.cfg.train.steps
        if reasons and judged and self.fabric.global_rank == 0:
            warnings.warn(f"step {self.step}: representations look collapsed: " + "; ".join(reasons), stacklevel=2)

    def _write_summary(self, result: RunResult) -> None:
        """run.json (rank 0), and the flattened config with the final metrics to TensorBoard's
        HParams tab."""
        summary = {k: (str(v) if isinstance(v, Path) else v) for k, v in dataclasses.asdict(result).items()}
        summary["dataset"] = _describe(self.dataset)
        summary["skipped_samples"] = int(getattr(self.dataset, "skipped", 0))
        report = getattr(self.dataset, "read_report", None)
        # what the readers read, skipped and ignored, each skip and ignored file named
        summary["data_report"] = report.as_dict() if report is not None else None
        summary["target_init_weight"] = self.target_init_weight(result.steps)
        summary["collapse"] = collapse_report(self.final_diagnostics, COLLAPSE_THRESHOLDS)
        summary["probe"] = self._probe_summary(result.wall_seconds)
        summary["hparams"] = flatten_hparams(to_dict(self.cfg))
        (self.run_dir / "run.json").write_text(json.dumps(summary, indent=2, default=_json_default))
        final = {f"final/{k}": v for k, v in self.latest.items()
                 if k in ("loss", "probe_knn", "probe_linear", *DIAGNOSTIC_NAMES) and math.isfinite(v)}
        final["final/target_init_weight"] = summary["target_init_weight"]
        for logger in self.fabric.loggers:
            logger.log_hyperparams(summary["hparams"], metrics=final, step=result.steps)

    def _probe_summary(self, wall_seconds: float) -> dict[str, Any] | None:
        if self.probe is None:
            return None
        return {"every": self.probe_every, "auto": self.cfg.train.probe_every is None, **self.probe.sizes,
                "calls": self.probe.calls, "seconds": self.probe.seconds,
                "fraction_of_wall": self.probe.seconds / max(wall_seconds, 1e-9),
                "final": {k: self.latest[k] for k in ("probe_knn", "probe_linear") if k in self.latest}}


def _teardown_process_group(fabric: Fabric) -> None:
    """End a multi-process gloo run with every rank present. Fabric leaves the gloo group to
    interpreter exit, where its worker threads can still hold work and abort a process that is
    slower to exit than rank 0 (which hosts the rendezvous store); a barrier, then an explicit
    destroy on every rank, removes that race. NCCL groups are destroyed by Fabric itself."""
    import torch.distributed as dist

    if fabric.world_size > 1 and dist.is_initialized() and dist.get_backend() == "gloo":
        fabric.barrier()
        dist.destroy_process_group()


def flatten_hparams(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}``; sequences become lists (JSON) of plain values."""
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten_hparams(value, name + "."))
        elif isinstance(value, tuple):
            flat[name] = list(value)
        else:
            flat[name] = value
    return flat


def append_metrics(path: Path, step: int, metrics: dict[str, float]) -> None:
    """Append ``step,name,value`` rows (long format, so resumed runs extend the same file and
    metrics logged only at some steps need no empty columns)."""
    new = not path.exists()
    with path.open("a") as fh:
        if new:
            fh.write("step,name,value\n")
        fh.writelines(f"{step},{name},{value!r}\n" for name, value in sorted(metrics.items()))


def trim_metrics(path: Path, *, last_step: int) -> int:
    """Keep the header and the complete ``step,name,value`` rows of steps ``<= last_step``
    (atomically); returns how many lines were dropped. A process killed mid-write leaves a cut
    last line, and rows after the checkpoint it resumes from would otherwise appear twice."""
    if not path.is_file():
        return 0
    lines = path.read_text().split("\n")
    complete, tail = lines[:-1], lines[-1]      # the text after the last newline is a cut line (or "")
    kept = complete[:1] + [line for line in complete[1:] if _row_step(line) is not None and _row_step(line) <= last_step]
    dropped = len(complete) - len(kept) + (1 if tail else 0)
    if dropped:
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text("".join(line + "\n" for line in kept))
        tmp.replace(path)
    return dropped


def _row_step(line: str) -> int | None:
    parts = line.split(",")
    try:
        float(parts[2])
        return int(parts[0]) if len(parts) == 3 else None
    except (ValueError, IndexError):
        return None


def _warn_config_edits(path: Path, cfg: RunConfig) -> None:
    """A resumed run uses the config stored in its checkpoint; say so when the run's
    ``config.yaml`` was edited (ignoring the keys a resume may change), instead of silently
    overwriting the edit."""
    import yaml

    if not path.is_file():
        return
    try:
        on_disk = flatten_hparams(yaml.safe_load(path.read_text()) or {})
    except (yaml.YAMLError, AttributeError):
        warnings.warn(f"{path} is not valid YAML; the checkpoint's config is used and rewrites it", stacklevel=3)
        return
    saved = flatten_hparams(json.loads(json.dumps(to_dict(cfg), default=list)))
    changed = sorted(k for k in set(on_disk) | set(saved)
                     if k not in RESUME_KEYS + EXTEND_KEYS and on_disk.get(k) != saved.get(k))
    if changed:
        key = changed[0]
        warnings.warn(f"{path} was edited ({len(changed)} key(s), e.g. {key}: {on_disk.get(key)!r} on disk, "
                      f"{saved.get(key)!r} in the checkpoint); a resume uses the checkpoint's config and rewrites "
                      "the file. Start a new run to change what a run computes.", stacklevel=3)


def read_metrics(path: str | Path) -> dict[str, list[tuple[int, float]]]:
    """``metrics.csv`` of a run as ``{name: [(step, value), ...]}``, later writes winning."""
    series: dict[str, dict[int, float]] = {}
    with Path(path).open() as fh:
        next(fh, None)
        for line in fh:
            step, name, value = line.rstrip("\n").split(",")
            series.setdefault(name, {})[int(step)] = float(value)
    return {name: sorted(points.items()) for name, points in series.items()}


def _describe(dataset: Any) -> str:
    return str(getattr(dataset, "description", type(dataset).__name__))


def _json_default(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    return str(value)


def train(cfg: RunConfig | None, run_dir: Path | None = None, resume: Path | None = None,
          overrides: list[str] | None = None) -> RunResult:
    """Pretrain ``cfg`` (or resume the run at ``resume``, with launch ``overrides``) and return
    a summary."""
    return Trainer(cfg, run_dir=run_dir, resume=resume, overrides=overrides).fit()
