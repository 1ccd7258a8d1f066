"""``jepa-domains shard``: write any supported dataset into tar shards for streaming."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path
from typing import Annotated, Optional

import typer


def shard(
    modality: Annotated[str, typer.Argument(help="modality name (see `jepa-domains modalities`)")],
    out: Annotated[Path, typer.Argument(help="empty folder to write shard-*.tar and index.json into")],
    data: Annotated[Optional[str], typer.Option(help="dataset name or path; default: the embedded set")] = None,
    data_root: Annotated[Optional[Path], typer.Option(help="folder of benchmark data (or $JEPA_DOMAINS_DATA)")] = None,
    split: Annotated[str, typer.Option(help="train | test | all")] = "train",
    samples_per_shard: Annotated[int, typer.Option(help="samples per tar shard")] = 1000,
    skip_bad: Annotated[bool, typer.Option(help="skip (and count) bad samples instead of failing")] = False,
    set_: Annotated[Optional[list[str]], typer.Option("--set", help="modality option, e.g. --set modality.x=1")] = None,
) -> None:
    """Write a dataset as WebDataset-style tar shards (see docs/scaling.md); train on them with
    `--data OUT`."""
    from jepa_domains.cli.app import fail, user_errors
    from jepa_domains.data.shards import write_shards
    from jepa_domains.modalities.base import resolve_data_root
    from jepa_domains.registry import get_modality
    from jepa_domains.train.config import modality_options, parse_override

    with user_errors():
        adapter = get_modality(modality)
        options: dict = {}
        for text in set_ or []:
            key, value = parse_override(text)
            if not key.startswith("modality."):
                fail(f"--set {text!r}: only modality.* options apply to sharding")
            options[key.split(".", 1)[1]] = value
        cfg = modality_options(adapter.Config, options)
        dataset = adapter.load_dataset(cfg, data, split=split, data_root=resolve_data_root(data_root),
                                       skip_bad=skip_bad)
        description = f"{getattr(dataset, 'description', modality)} [sharded, split={split}]"
        # dataset-wide statistics are computed now, while the whole dataset is at hand
        before = dataclasses.asdict(cfg)
        after = dataclasses.asdict(adapter.prepare(copy.deepcopy(cfg), dataset))
        prepared = {k: v for k, v in after.items() if v != before[k]}
        index = write_shards((dataset[i] for i in range(len(dataset))), out, samples_per_shard=samples_per_shard,
                             modality=modality, description=description, prepared=prepared)
    skipped = int(getattr(dataset, "skipped", 0))
    typer.echo(f"{index['num_samples']} samples in {len(index['shards'])} shards written to {out}"
               + (f" ({skipped} bad samples skipped)" if skipped else ""))
