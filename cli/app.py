"""``jepa-domains``: train, evaluate and embed with JEPA encoders on any registered modality."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from jepa_domains.cli.bench import bench_app

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Joint-Embedding Predictive Architectures for audio, point clouds, graphs, "
                       "trajectories and time series.")
app.add_typer(bench_app, name="bench")


@app.callback()
def verbosity(
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="only the library's warnings and errors "
                                        "(no progress lines)")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="also the library's debug messages "
                                          "(a progress line at every logged step)")] = False,
) -> None:
    """What the library shows on stderr (its messages go through ``logging``; results stay on stdout)."""
    import logging

    from jepa_domains.logs import set_verbosity

    if quiet and verbose:
        fail("--quiet and --verbose exclude each other")
    set_verbosity(logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO)


def fail(message: str) -> None:
    """Print one clear line and exit with status 2 (user mistakes, not tracebacks)."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=2)


def user_errors():
    """Context: turn the library's user-facing exceptions into one-line errors."""
    from contextlib import contextmanager

    from jepa_domains.registry import UnknownModalityError
    from jepa_domains.train.config import ConfigError

    @contextmanager
    def guard():
        try:
            yield
        except (ConfigError, UnknownModalityError, FileNotFoundError, ValueError) as err:
            fail(str(err))

    return guard()


@app.command()
def modalities(
    datasets: Annotated[bool, typer.Option("--datasets", help="also list each modality's named datasets")] = False,
) -> None:
    """List the registered modalities (built-in and plugins), their tasks, recipes and datasets."""
    from jepa_domains.recipes import list_recipes
    from jepa_domains.registry import get_modality, list_modalities

    for name in list_modalities():
        adapter = get_modality(name)
        doc = (type(adapter).__doc__ or "").strip().splitlines()
        tasks = ",".join(adapter.protocols()) or "-"
        typer.echo(f"{name:12s} tasks={tasks:34s} {doc[0] if doc else ''}")
        for recipe, description in list_recipes(name).items():
            typer.echo(f"    recipe {recipe:16s} {description}  (train {name} --config {recipe})")
        if datasets:
            for dataset, description in adapter.datasets().items():
                typer.echo(f"    {dataset:16s} {description}")


@app.command()
def train(
    modality: Annotated[str, typer.Argument(help="modality name (see `jepa-domains modalities`)")],
    data: Annotated[Optional[str], typer.Option(help="dataset name or path; default: the modality's embedded set")] = None,
    data_root: Annotated[Optional[Path], typer.Option(help="folder of benchmark data (or $JEPA_DOMAINS_DATA)")] = None,
    config: Annotated[Optional[str], typer.Option(
        help="YAML or TOML config file, or the name of a shipped recipe (see `jepa-domains modalities`)")] = None,
    set_: Annotated[Optional[list[str]], typer.Option("--set", help="override, e.g. --set model.depth=6")] = None,
    quick: Annotated[bool, typer.Option(help="a short run with a small model (smoke test / demo)")] = False,
    resume: Annotated[Optional[Path], typer.Option(help="run directory or checkpoint to continue")] = None,
    out: Annotated[Optional[Path], typer.Option(help="run directory (default runs/MODALITY-TIME)")] = None,
    devices: Annotated[Optional[int], typer.Option(help="processes/devices per node")] = None,
    num_nodes: Annotated[Optional[int], typer.Option(help="number of nodes")] = None,
    strategy: Annotated[Optional[str], typer.Option(help="auto | ddp | fsdp")] = None,
    precision: Annotated[Optional[str], typer.Option(help="auto | 32-true | bf16-mixed | 16-mixed")] = None,
    skip_bad: Annotated[bool, typer.Option(help="skip (and count) bad samples instead of failing")] = False,
    overwrite: Annotated[bool, typer.Option(help="replace the run already in --out (its checkpoints, metrics "
                                                 "and logs are deleted)")] = False,
) -> None:
    """Pretrain a JEPA encoder on MODALITY.

    Ctrl-C or SIGTERM stops after the current step with a checkpoint; --resume RUN continues it.
    """
    from jepa_domains.registry import get_modality
    from jepa_domains.train.config import GLOBAL_QUICK, resolve
    from jepa_domains.train.trainer import train as run_training

    with user_errors():
        overrides = list(set_ or [])
        for key, value in (("data.source", data), ("data.data_root", data_root), ("train.devices", devices),
                           ("train.num_nodes", num_nodes), ("train.strategy", strategy),
                           ("train.precision", precision)):
            if value is not None:
                overrides.append(f"{key}={value}")
        if skip_bad:
            overrides.append("data.skip_bad=true")
        if resume is not None:
            from jepa_domains.train.trainer import RESUME_KEYS

            from jepa_domains.train.trainer import EXTEND_KEYS

            launch = [o for o in overrides if o.split("=", 1)[0] in RESUME_KEYS + EXTEND_KEYS]
            if len(launch) != len(overrides) or config or quick or overwrite:
                fail("--resume continues a run with its saved config; only where it runs may change "
                     f"(--devices, --num-nodes, --strategy, --precision, --set {'|'.join(RESUME_KEYS)}), "
                     "or --set train.steps=N to extend it")
            from jepa_domains.train.trainer import Trainer

            trainer = Trainer(None, run_dir=out, resume=resume, overrides=launch)
            if trainer.cfg.modality_name != modality:
                fail(f"--resume {resume} is a {trainer.cfg.modality_name!r} run, not {modality!r}: "
                     f"jepa-domains train {trainer.cfg.modality_name} --resume {resume}")
            result = _run(trainer.fit)
        else:
            adapter = get_modality(modality)
            quick_layer = {**GLOBAL_QUICK, **adapter.quick_overrides} if quick else {}
            cfg = resolve(modality, defaults=adapter.run_defaults, quick=quick_layer, file=config, overrides=overrides)
            if out is not None:
                _claim_run_dir(out, overwrite=overwrite)
            result = _run(lambda: run_training(cfg, run_dir=out))
    if result.global_rank != 0:
        return
    typer.echo(f"done: {result.steps} steps in {result.wall_seconds:.1f}s "
               f"({result.samples_per_second:.1f} samples/s), final loss {result.final_loss:.4f}; "
               f"run saved in {result.run_dir}")


@app.command("eval")
def evaluate(
    run: Annotated[Path, typer.Argument(help="run directory (or checkpoint file)")],
    task: Annotated[str, typer.Option(help="downstream protocol: classify | forecast | ... (per modality)")] = "classify",
    data: Annotated[Optional[str], typer.Option(help="dataset to evaluate on (default: the pretraining set)")] = None,
    data_root: Annotated[Optional[Path], typer.Option(help="folder of benchmark data (or $JEPA_DOMAINS_DATA)")] = None,
    option: Annotated[Optional[list[str]], typer.Option("--option", help="protocol option key=value, e.g. horizons=[96]")] = None,
    out: Annotated[Optional[Path], typer.Option(help="JSON file for the result rows (default RUN/eval-TASK.json)")] = None,
    encoder: Annotated[Optional[str], typer.Option(
        help="context | target | both (default: the modality's default_encoder, context for the built-ins)")] = None,
) -> None:
    """Evaluate a pretrained encoder, frozen, against its baselines; print paired verdicts.

    Writes the rows to RUN/eval-TASK.json and the verdicts to RUN/eval-TASK.verdicts.json."""
    import json

    from jepa_domains.eval.embed import load_run, resolve_encoders
    from jepa_domains.eval.protocols import format_rows, run_protocol
    from jepa_domains.eval.verdicts import verdicts
    from jepa_domains.train.config import parse_override

    with user_errors():
        loaded = load_run(run)
        resolve_encoders(encoder, loaded.adapter)  # a bad name fails before any work
        protocols = loaded.adapter.protocols()
        if task not in protocols:
            fail(f"modality {loaded.cfg.modality_name!r} has no task {task!r}; known: {', '.join(protocols)}")
        kwargs = dict(parse_override(o) for o in option or [])
        for key, value in list(kwargs.items()):
            if isinstance(value, list):
                kwargs[key] = tuple(value)
        if "encoder" in kwargs:
            fail("pass the encoder with --encoder, not --option encoder=...")
        _check_options(protocols[task], task, kwargs)
        target = out or (loaded.run_dir / f"eval-{task}.json")
        _check_writable(target)
        rows = run_protocol(protocols[task], run, source=data, data_root=data_root, encoder=encoder, **kwargs)
        found = verdicts([{**r, "task": task} for r in rows])
    typer.echo(format_rows(rows))
    for v in found:
        typer.echo(v.line())
    target.write_text(json.dumps(rows))
    target.with_suffix(".verdicts.json").write_text(json.dumps([v.as_dict() for v in found], indent=1))
    typer.echo(f"rows written to {target}")


@app.command()
def embed(
    run: Annotated[Path, typer.Argument(help="run directory (or checkpoint file)")],
    data: Annotated[Optional[str], typer.Option(help="dataset name or path (default: the pretraining set)")] = None,
    out: Annotated[Path, typer.Option(help="output .npz with X [n, E], y and ids")] = Path("embeddings.npz"),
    split: Annotated[str, typer.Option(help="train | test | all")] = "all",
    data_root: Annotated[Optional[Path], typer.Option(help="folder of benchmark data (or $JEPA_DOMAINS_DATA)")] = None,
    batch_size: Annotated[int, typer.Option(help="samples per forward pass")] = 64,
    devices: Annotated[int, typer.Option(help="processes per node; > 1 writes one .npz per rank into --out")] = 1,
    num_nodes: Annotated[int, typer.Option(help="number of nodes (with torchrun/SLURM)")] = 1,
    accelerator: Annotated[str, typer.Option(help="auto | cpu | gpu")] = "auto",
    encoder: Annotated[Optional[str], typer.Option(
        help="context | target | both (both also writes X_context and X_target); default: the modality's")] = None,
    skip_bad: Annotated[bool, typer.Option(help="skip (and count) bad samples instead of failing (on by default "
                                                "for runs trained with --skip-bad)")] = False,
) -> None:
    """Write frozen embeddings of a dataset (with sample ids, joinable to the inputs)."""
    import numpy as np

    from jepa_domains.data.shards import open_dataset
    from jepa_domains.eval.embed import extract, load_runs
    from jepa_domains.modalities.base import resolve_data_root

    if devices * num_nodes > 1:
        from jepa_domains.train.launch import embed_distributed

        if encoder == "both":
            fail("--encoder both is not supported with --devices/--num-nodes > 1: embed each encoder in its own run")
        with user_errors():
            manifest = embed_distributed(run, out, source=data, split=split, data_root=data_root,
                                         batch_size=batch_size, devices=devices, num_nodes=num_nodes,
                                         accelerator=accelerator, encoder=encoder)
        if manifest is not None:
            typer.echo(f"{manifest['num_samples']} embeddings in {manifest['world_size']} per-rank files "
                       f"written to {out} (join with jepa_domains.train.launch.read_embedding_shards)")
        return
    if out.suffix != ".npz":
        out = out.with_name(out.name + ".npz")        # what np.savez writes; say the real name
    _check_writable(out)
    with user_errors():
        runs = load_runs(run, encoder=encoder)
        loaded = next(iter(runs.values()))
        root = resolve_data_root(data_root or loaded.cfg.data.data_root)
        dataset = open_dataset(loaded.adapter, loaded.options, data if data is not None else loaded.cfg.data.source,
                               split=split, data_root=root, skip_bad=skip_bad or loaded.cfg.data.skip_bad)
        embs = {which: extract(r.encoder, r.adapter, r.options, dataset, batch_size=batch_size)
                for which, r in runs.items()}
    emb = next(iter(embs.values()))
    out.parent.mkdir(parents=True, exist_ok=True)
    arrays = {"X": emb.X, "ids": np.asarray([str(i) for i in emb.ids]), "encoder": np.asarray(next(iter(embs)))}
    if len(embs) > 1:
        arrays.update({f"X_{which}": e.X for which, e in embs.items()})
    if emb.y is not None:
        arrays["y"] = emb.y
    np.savez(out, **arrays)
    typer.echo(f"{emb.X.shape[0]} embeddings of width {emb.X.shape[1]} ({', '.join(embs)} encoder) written to {out}")


from jepa_domains.cli.shard import shard as _shard_command  # noqa: E402

app.command("shard")(_shard_command)


def _check_options(protocol, task: str, options: dict) -> None:
    """Unknown ``--option`` names are a one-line error listing the protocol's options (a
    protocol that takes ``**kwargs`` of its own accepts anything)."""
    import inspect

    params = inspect.signature(protocol).parameters
    named = [n for n, p in params.items() if p.kind is p.KEYWORD_ONLY and n not in ("source", "data_root", "encoder")]
    if any(p.kind is p.VAR_KEYWORD and n != "_" for n, p in params.items()):
        return
    unknown = sorted(set(options) - set(named))
    if unknown:
        fail(f"task {task!r} has no option {unknown[0]!r}; its options: {', '.join(named) or '(none)'}")


def _check_writable(path: Path) -> None:
    """Fail before any work when ``path`` (a file to write) cannot be created."""
    import os

    parent = path.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        fail(f"cannot create the folder of {path}: {err.strerror or err}")
    if path.is_dir():
        fail(f"{path} is a directory; give a file name")
    if not os.access(parent, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        fail(f"cannot write {path}: permission denied")


RUN_ARTEFACTS = ("checkpoints", "metrics.csv", "run.json", "config.yaml", "tensorboard")


def _claim_run_dir(out: Path, *, overwrite: bool) -> None:
    """Refuse to train into a folder that holds a run (its checkpoints would be replaced and two
    runs' metrics interleaved), unless ``--overwrite`` says to delete that run first."""
    import shutil

    if out.exists() and not out.is_dir():
        fail(f"--out {out} exists and is not a directory")
    _check_writable(out / "config.yaml")
    found = [name for name in RUN_ARTEFACTS if (out / name).exists()]
    if not found:
        return
    if not overwrite:
        fail(f"{out} already holds a run ({', '.join(found)}); continue it with --resume {out}, "
             f"or pass --overwrite to delete it and start again")
    for name in found:
        path = out / name
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    for stale in out.glob("eval-*.json"):
        stale.unlink()
    typer.echo(f"--overwrite: deleted the previous run in {out} ({', '.join(found)})")


def _run(fn):
    from jepa_domains.train.checkpoint import CheckpointWriteError
    from jepa_domains.train.trainer import NonFiniteLossError, RunFinishedError, TrainingInterrupted

    try:
        return fn()
    except (NonFiniteLossError, CheckpointWriteError) as err:
        fail(str(err))
    except RunFinishedError as err:
        typer.echo(str(err))
        raise typer.Exit(code=0) from None
    except TrainingInterrupted as err:
        typer.echo(f"interrupted: {err}", err=True)
        raise typer.Exit(code=128 + err.signal_number) from None
    except OSError as err:   # a full disk or a folder gone read-only while writing logs
        import errno

        if err.errno not in (errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EDQUOT, errno.EPERM):
            raise
        where = f"{err.filename}: " if err.filename else ""
        fail(f"cannot write {where}{err.strerror or err}; the last checkpoint is intact")


def main() -> None:
    app(prog_name="jepa-domains")


if __name__ == "__main__":
    sys.exit(main())
