"""Sharded sample storage for corpora larger than memory: WebDataset-style tar shards.

Format (``jepa-domains-shards/1``), one folder::

    index.json                  {"format", "modality", "description", "num_samples",
                                 "shards": [{"name", "num_samples"}], "labels" (list or null),
                                 "prepared"}
    shard-000000.tar            per sample i: "{key}.json" then "{key}.{field}.npy" members
    shard-000001.tar            (key = 9-digit global sample index)

A sample is a dataclass (a modality's own type). ``{key}.json`` holds its class
(``module:QualName``) and every field: JSON scalars inline, NumPy arrays and torch tensors as
``.npy`` members (``allow_pickle=False``), PyTorch-Geometric ``Data`` objects as a mapping of
their attributes. Nothing is pickled, so reading a shard never executes code from it; classes
are only imported from ``jepa_domains`` (or modules passed in ``allowed_modules``).

Two readers: :class:`ShardDataset` (map-style; indexes tar member offsets once, then reads one
sample with one seek — what the trainer uses, so its deterministic, resumable sampler works
unchanged) and :class:`~jepa_domains.data.shard_stream.StreamingShardDataset` (an
``IterableDataset`` that hands each shard to exactly one (rank, worker) and resumes mid-epoch).
"""

from __future__ import annotations

import dataclasses
import importlib
import io
import json
import os
import tarfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

FORMAT = "jepa-domains-shards/1"
INDEX = "index.json"


def is_shard_folder(path: str | Path) -> bool:
    return (Path(path) / INDEX).is_file()


# -- (de)serialising one sample ---------------------------------------------------------------
def _encode(value: Any, name: str, arrays: dict[str, np.ndarray]) -> Any:
    if isinstance(value, torch.Tensor):
        arrays[name] = value.detach().cpu().numpy()
        return {"__kind__": "tensor", "member": name}
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            raise ValueError(f"field {name!r}: object arrays cannot be stored without pickling")
        arrays[name] = value
        return {"__kind__": "ndarray", "member": name}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)) and all(v is None or isinstance(v, (bool, int, float, str)) for v in value):
        return {"__kind__": "tuple" if isinstance(value, tuple) else "list", "items": list(value)}
    if type(value).__name__ in ("Data", "HeteroData") and hasattr(value, "to_dict"):   # PyG graphs
        return {"__kind__": "pyg", "class": _class_path(type(value)),
                "fields": {k: _encode(v, f"{name}.{k}", arrays) for k, v in value.to_dict().items()}}
    raise ValueError(f"field {name!r}: cannot store a {type(value).__name__} in a shard")


def _decode(value: Any, arrays: dict[str, np.ndarray], allowed: tuple[str, ...]) -> Any:
    if not isinstance(value, dict):
        return value
    kind = value.get("__kind__")
    if kind == "ndarray":
        return arrays[value["member"]]
    if kind == "tensor":
        return torch.from_numpy(arrays[value["member"]])
    if kind in ("list", "tuple"):
        return list(value["items"]) if kind == "list" else tuple(value["items"])
    if kind == "pyg":
        cls = _import_class(value["class"], ("torch_geometric.",) + allowed)
        return cls(**{k: _decode(v, arrays, allowed) for k, v in value["fields"].items()})
    raise ValueError(f"unknown stored field kind {kind!r}")


def encode_sample(sample: Any) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """``sample`` (a dataclass) -> (JSON metadata, named arrays)."""
    if not dataclasses.is_dataclass(sample) or isinstance(sample, type):
        raise ValueError(f"only dataclass samples can be sharded, got {type(sample).__name__}")
    arrays: dict[str, np.ndarray] = {}
    fields = {f.name: _encode(getattr(sample, f.name), f.name, arrays) for f in dataclasses.fields(sample)}
    return {"class": _class_path(type(sample)), "fields": fields}, arrays


def decode_sample(meta: dict[str, Any], arrays: dict[str, np.ndarray],
                  allowed_modules: tuple[str, ...] = ()) -> Any:
    allowed = ("jepa_domains.",) + tuple(allowed_modules)
    cls = _import_class(meta["class"], allowed)
    if not dataclasses.is_dataclass(cls):
        raise ValueError(f"stored class {meta['class']} is not a dataclass")
    return cls(**{k: _decode(v, arrays, allowed) for k, v in meta["fields"].items()})


def _class_path(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _import_class(path: str, allowed: tuple[str, ...]) -> type:
    module, _, qualname = path.partition(":")
    if not any((module + ".").startswith(prefix) for prefix in allowed):
        raise ValueError(f"refusing to import sample class {path!r} from a shard; allowed module prefixes: "
                         f"{', '.join(allowed)} (pass allowed_modules=...)")
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


# -- writing -------------------------------------------------------------------------------------
def write_shards(samples: Iterable[Any], out_dir: str | Path, *, samples_per_shard: int = 1000,
                 modality: str = "", description: str = "", prepared: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write ``samples`` (dataclasses) into tar shards under ``out_dir``; returns the index.

    ``prepared`` holds the modality options that the adapter's ``prepare`` derived from the
    whole dataset (channel counts, normalisation statistics, ...): a reader of shards cannot
    recompute them without a pass over the corpus, so they travel in the index.

    Each shard is written to a temporary name and renamed when complete, and ``index.json`` is
    written last, so an interrupted export never looks like a complete one.
    """
    if samples_per_shard < 1:
        raise ValueError(f"samples_per_shard must be >= 1, got {samples_per_shard}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if (out / INDEX).exists():
        raise ValueError(f"{out} already holds shards ({INDEX}); choose an empty folder")
    shards: list[dict[str, Any]] = []
    tar, count, total, labels = None, 0, 0, []
    for sample in samples:
        if tar is None:
            name = f"shard-{len(shards):06d}.tar"
            tar, count = tarfile.open(out / (name + ".tmp"), "w"), 0
        meta, arrays = encode_sample(sample)
        label = meta["fields"].get("label")
        labels.append(label if isinstance(label, int) and not isinstance(label, bool) else None)
        key = f"{total:09d}"
        _add_member(tar, f"{key}.json", json.dumps(meta).encode())
        for field_name, array in arrays.items():
            buf = io.BytesIO()
            np.save(buf, np.ascontiguousarray(array), allow_pickle=False)
            _add_member(tar, f"{key}.{field_name}.npy", buf.getvalue())
        count, total = count + 1, total + 1
        if count == samples_per_shard:
            shards.append(_close_shard(tar, out, name, count))
            tar = None
    if tar is not None:
        shards.append(_close_shard(tar, out, name, count))
    if total == 0:
        raise ValueError("no samples to write")
    index = {"format": FORMAT, "modality": modality, "description": description, "num_samples": total,
             "shards": shards, "labels": None if None in labels else labels, "prepared": dict(prepared or {})}
    tmp = out / (INDEX + ".tmp")
    tmp.write_text(json.dumps(index, indent=1))
    os.replace(tmp, out / INDEX)
    return index


def _add_member(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def _close_shard(tar: tarfile.TarFile, out: Path, name: str, count: int) -> dict[str, Any]:
    tar.close()
    os.replace(out / (name + ".tmp"), out / name)
    return {"name": name, "num_samples": count}


# -- reading -------------------------------------------------------------------------------------
def read_index(folder: str | Path) -> dict[str, Any]:
    path = Path(folder) / INDEX
    if not path.is_file():
        raise FileNotFoundError(f"{folder} is not a shard folder (no {INDEX})")
    index = json.loads(path.read_text())
    if index.get("format") != FORMAT:
        raise ValueError(f"{path}: format {index.get('format')!r} is not {FORMAT!r}")
    return index


def iter_shard(path: Path, allowed_modules: tuple[str, ...] = (), skip: int = 0) -> Iterator[Any]:
    """Samples of one tar shard in order, after skipping the first ``skip`` (not decoded)."""
    with tarfile.open(path, "r") as tar:
        meta, arrays, position = None, {}, -1
        for member in tar:
            key, _, rest = member.name.partition(".")
            if rest == "json":
                if meta is not None and position >= skip:
                    yield decode_sample(meta, arrays, allowed_modules)
                position += 1
                meta, arrays = None, {}
                if position >= skip:
                    meta = json.loads(tar.extractfile(member).read())
            elif meta is not None and rest.endswith(".npy"):
                arrays[rest[: -len(".npy")]] = np.load(io.BytesIO(tar.extractfile(member).read()), allow_pickle=False)
        if meta is not None:
            yield decode_sample(meta, arrays, allowed_modules)


@dataclass(frozen=True)
class _Location:
    shard: int
    members: tuple[tuple[str, int, int], ...]   # (member name, data offset, size)


class ShardDataset(Dataset):
    """Map-style view of a shard folder: sample ``i`` is read with one seek into its shard.

    Only the member offsets (a few integers per sample) are held in memory. Exposes
    ``labels`` (``[n]`` int array or None), ``description`` and ``skipped`` like the adapters'
    datasets, so the trainer and ``embed`` use it unchanged.
    """

    def __init__(self, folder: str | Path, *, allowed_modules: tuple[str, ...] = ()) -> None:
        self.folder = Path(folder)
        self.index = read_index(self.folder)
        self.allowed_modules = tuple(allowed_modules)
        self.description = self.index.get("description") or f"shards at {self.folder}"
        self.prepared: dict[str, Any] = dict(self.index.get("prepared") or {})   # see write_shards
        self.skipped = 0
        self.locations: list[_Location] = []
        for s, shard in enumerate(self.index["shards"]):
            path = self.folder / shard["name"]
            groups: dict[str, list[tuple[str, int, int]]] = {}
            try:
                with tarfile.open(path, "r") as tar:
                    for m in tar:
                        groups.setdefault(m.name.partition(".")[0], []).append((m.name, m.offset_data, m.size))
            except (OSError, tarfile.TarError) as err:
                raise ValueError(f"{path}: unreadable shard ({err})") from None
            if len(groups) != shard["num_samples"]:
                raise ValueError(f"{path}: {len(groups)} samples, index.json says {shard['num_samples']}")
            self.locations += [_Location(s, tuple(members)) for _, members in sorted(groups.items())]
        # labels travel in the index so that probes need no pass over the corpus
        labels = self.index.get("labels")
        self.labels = np.asarray(labels, dtype=np.int64) if labels is not None else None

    def __len__(self) -> int:
        return len(self.locations)

    def _read(self, i: int) -> dict[str, bytes]:
        loc = self.locations[i]
        with open(self.folder / self.index["shards"][loc.shard]["name"], "rb") as fh:
            out = {}
            for name, offset, size in loc.members:
                fh.seek(offset)
                out[name] = fh.read(size)
            return out

    def __getitem__(self, i: int) -> Any:
        if not 0 <= i < len(self):
            raise IndexError(f"sample {i} out of range for {len(self)} samples in {self.folder}")
        meta, arrays = None, {}
        try:
            for name, data in self._read(i).items():
                rest = name.partition(".")[2]
                if rest == "json":
                    meta = json.loads(data)
                else:
                    arrays[rest[: -len(".npy")]] = np.load(io.BytesIO(data), allow_pickle=False)
        except (OSError, ValueError) as err:   # truncated / corrupted member (JSONDecodeError is a ValueError)
            shard = self.index["shards"][self.locations[i].shard]["name"]
            raise ValueError(f"{self.folder / shard}: sample {i} is corrupt ({err})") from None
        if meta is None:
            raise ValueError(f"{self.folder}: sample {i} has no metadata member")
        return decode_sample(meta, arrays, self.allowed_modules)


def open_dataset(adapter: Any, options: Any, source: str | None, *, split: str = "train",
                 data_root: Path | None = None, skip_bad: bool = False) -> Dataset:
    """The adapter's dataset for ``source``, or a :class:`ShardDataset` when ``source`` is a shard
    folder (a shard folder holds whatever split was exported; ``split`` does not apply to it), or
    the unlabelled union of several sources when ``source`` is ``"A+B+..."``
    (:class:`~jepa_domains.data.multi_source.MultiSourceDataset`, each part opened as here)."""
    from jepa_domains.data.multi_source import MultiSourceDataset, split_sources

    names = split_sources(source)
    if len(names) > 1:
        return MultiSourceDataset([(str(name), open_dataset(adapter, options, name, split=split, data_root=data_root,
                                                            skip_bad=skip_bad)) for name in names])
    if source is not None and is_shard_folder(source):
        dataset = ShardDataset(source)
        stored = dataset.index.get("modality")
        if stored and stored != getattr(adapter, "name", stored):
            raise ValueError(f"{source} holds {stored!r} samples, not {adapter.name!r} ones")
        return dataset
    return adapter.load_dataset(options, source, split=split, data_root=data_root, skip_bad=skip_bad)
