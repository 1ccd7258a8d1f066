"""Training throughput of every modality's default config (or ``--quick`` sizes): samples/s,
tokens/s, the step-time breakdown, peak memory and, on a GPU, model FLOPs utilisation.

    python benchmarks/throughput.py                      # every modality, default configs
    python benchmarks/throughput.py --quick --steps 5    # --quick sizes
    python benchmarks/throughput.py --modalities graph,timeseries --batch-size 64 --compile

Each modality runs in its own subprocess, so that peak memory is its own and a failure in one
does not stop the others. The GPU is used when present (``--device cpu`` forces the CPU); on
the GPU the step runs under bf16 autocast, as the trainer's ``precision=auto`` does.

Step-time columns (ms per optimiser step, mean over the measured steps after ``--warmup``):
``data`` = sampling + collate + masks + host-to-device copy; ``tokenize`` = the tokenizers of
the online and target encoders (timed by forward hooks inside the real forward); ``model fwd``
= the rest of the forward (transformers, predictor, loss); ``backward``; ``optim`` = AdamW step
+ EMA update. FLOPs are counted once with ``torch.utils.flop_counter.FlopCounterMode`` over a
forward + backward; MFU = (FLOPs / step time) / the device's dense bf16 peak.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import subprocess
import sys
import time
from typing import Any

# dense bf16 tensor-core peaks (FLOP/s) by device name; H100 means the SXM part
PEAK_BF16 = {"H200": 989e12, "H100": 989e12, "A100": 312e12}
MODALITIES = ("audio", "graph", "pointcloud", "timeseries", "trajectory")


def device_peak(name: str) -> float | None:
    """Dense bf16 peak of a device by (a substring of) its name, None when unknown."""
    for key, peak in PEAK_BF16.items():
        if key.lower() in name.lower():
            return peak
    return None


def _sync(device: Any) -> None:
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize(device)


def measure(modality: str, *, quick: bool = False, steps: int = 10, warmup: int = 2, batch_size: int | None = None,
            compile_model: bool = False, device: str = "auto", data_root: str | None = None,
            overrides: list[str] | None = None, count_flops: bool = True) -> dict[str, Any]:
    """Time ``steps`` training steps of ``modality`` (after ``warmup``); returns one table row."""
    import torch

    from jepa_domains.modalities.base import resolve_data_root
    from jepa_domains.registry import get_modality
    from jepa_domains.train.build import build
    from jepa_domains.train.config import GLOBAL_QUICK, resolve
    from jepa_domains.train.loader import KeyedDataset, MaskingCollator, ShardedBatchSampler
    from jepa_domains.train.trainer import param_groups

    if steps < 1 or warmup < 0:
        raise ValueError(f"steps must be >= 1 and warmup >= 0, got {steps} and {warmup}")
    dev = torch.device("cuda" if device == "auto" and torch.cuda.is_available() else ("cpu" if device == "auto" else device))
    adapter = get_modality(modality)
    layer = {**GLOBAL_QUICK, **adapter.quick_overrides} if quick else {}
    extra = list(overrides or []) + ([f"data.batch_size={batch_size}"] if batch_size else [])
    cfg = resolve(modality, defaults=adapter.run_defaults, quick=layer, overrides=extra)
    options = build(cfg).options
    dataset = adapter.load_dataset(options, cfg.data.source, split="train",
                                   data_root=resolve_data_root(data_root or cfg.data.data_root))
    # the same order as the trainer: prepare on the training set, then build with its statistics
    cfg.modality = dataclasses.asdict(adapter.prepare(options, dataset))
    built = build(cfg)
    model = built.model.to(dev).train()
    optimizer = torch.optim.AdamW(param_groups(model), lr=cfg.optim.lr, weight_decay=cfg.optim.weight_decay)
    bs = min(cfg.data.batch_size, len(dataset))
    sampler = iter(ShardedBatchSampler(num_samples=len(dataset), global_batch=bs, seed=cfg.train.seed))
    keyed = KeyedDataset(dataset)
    collate = MaskingCollator(adapter, built.options, built.masker, seed=cfg.train.seed, total_steps=steps + warmup)
    forward = torch.compile(model) if compile_model else model
    autocast = torch.autocast(device_type="cuda", dtype=torch.bfloat16) if dev.type == "cuda" else _null()

    tok_time, tok_count = [0.0], [0]

    def before(module, args):
        _sync(dev)
        module._t0 = time.perf_counter()

    def after(module, args, output):
        _sync(dev)
        tok_time[0] += time.perf_counter() - module._t0
        if module is model.encoder.tokenizer:
            tok_count[0] += int((~output.pad).sum())

    hooks = [m.register_forward_pre_hook(before) for m in (model.encoder.tokenizer, model.target_encoder.tokenizer)]
    hooks += [m.register_forward_hook(after) for m in (model.encoder.tokenizer, model.target_encoder.tokenizer)]
    if dev.type == "cuda":
        torch.cuda.reset_peak_memory_stats(dev)
    totals = {"data": 0.0, "tokenize": 0.0, "forward": 0.0, "backward": 0.0, "optim": 0.0}
    tokens = 0
    for step in range(warmup + steps):
        measuring = step >= warmup
        t0 = time.perf_counter()
        batch, plan, _ = collate([keyed[k] for k in next(sampler)])
        batch, plan = batch.to(dev), plan.to(dev)
        _sync(dev)
        t1 = time.perf_counter()
        tok_time[0], tok_count[0] = 0.0, 0
        with autocast:
            out = forward(batch, plan, seed=step)
        _sync(dev)
        t2 = time.perf_counter()
        out.loss.backward()
        _sync(dev)
        t3 = time.perf_counter()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        model.update_target(0.996)
        _sync(dev)
        t4 = time.perf_counter()
        if measuring:
            totals["data"] += t1 - t0
            totals["tokenize"] += tok_time[0]
            totals["forward"] += (t2 - t1) - tok_time[0]
            totals["backward"] += t3 - t2
            totals["optim"] += t4 - t3
            tokens += tok_count[0]
    for h in hooks:
        h.remove()
    step_s = sum(totals.values()) / steps
    row: dict[str, Any] = {
        "modality": modality, "sizes": "quick" if quick else "default", "device": _device_name(dev),
        "batch": bs, "params_M": sum(p.numel() for p in model.parameters() if p.requires_grad) / 1e6,
        "samples_per_s": bs / step_s, "tokens_per_s": tokens / steps / step_s, "step_ms": 1000 * step_s,
        **{f"{k}_ms": 1000 * v / steps for k, v in totals.items()},
        "compile": compile_model,
    }
    if dev.type == "cuda":
        row["peak_mem_MB"] = torch.cuda.max_memory_allocated(dev) / 2**20
    else:
        row["peak_mem_MB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    if count_flops:
        row.update(_flops(model, collate, keyed, sampler, dev, autocast, step_s))
    return row


def _flops(model: Any, collate: Any, keyed: Any, sampler: Any, dev: Any, autocast: Any, step_s: float) -> dict[str, Any]:
    """FLOPs of one forward + backward (FlopCounterMode), achieved TFLOP/s and MFU."""
    from torch.utils.flop_counter import FlopCounterMode

    batch, plan, _ = collate([keyed[k] for k in next(sampler)])
    batch, plan = batch.to(dev), plan.to(dev)
    counter = FlopCounterMode(display=False)
    with counter:
        with autocast:
            out = model(batch, plan)
        out.loss.backward()
    model.zero_grad(set_to_none=True)
    flops = counter.get_total_flops()
    achieved = flops / step_s
    peak = device_peak(_device_name(dev)) if dev.type == "cuda" else None
    return {"GFLOP_per_step": flops / 1e9, "TFLOP_per_s": achieved / 1e12,
            "MFU": achieved / peak if peak else None}


def _device_name(dev: Any) -> str:
    import torch

    if dev.type == "cuda":
        return torch.cuda.get_device_name(dev)
    return f"cpu x{torch.get_num_threads()} threads"


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


COLUMNS = (("modality", "{}"), ("sizes", "{}"), ("batch", "{}"), ("params_M", "{:.2f}"), ("samples_per_s", "{:.1f}"),
           ("tokens_per_s", "{:.0f}"), ("step_ms", "{:.1f}"), ("data_ms", "{:.1f}"), ("tokenize_ms", "{:.1f}"),
           ("forward_ms", "{:.1f}"), ("backward_ms", "{:.1f}"), ("optim_ms", "{:.1f}"), ("peak_mem_MB", "{:.0f}"),
           ("GFLOP_per_step", "{:.2f}"), ("TFLOP_per_s", "{:.3f}"), ("MFU", "{:.1%}"))


def format_table(rows: list[dict[str, Any]]) -> str:
    """Aligned text table; failed modalities show their error."""
    header = [name for name, _ in COLUMNS]
    cells = []
    for r in rows:
        if "error" in r:
            cells.append([r["modality"], r.get("sizes", ""), f"FAILED: {r['error']}"] + [""] * (len(header) - 3))
            continue
        cells.append([fmt.format(r[k]) if r.get(k) is not None else "—" for k, fmt in COLUMNS])
    widths = [max(len(h), *(len(c[i]) for c in cells if "FAILED" not in c[2] or i < 2)) for i, h in enumerate(header)]
    lines = ["  ".join(h.rjust(w) for h, w in zip(header, widths))]
    lines += ["  ".join(c.rjust(w) for c, w in zip(row, widths)) if "FAILED" not in row[2] else "  ".join(row[:3])
              for row in cells]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modalities", default=",".join(MODALITIES), help="comma-separated modality names")
    parser.add_argument("--quick", action="store_true", help="use the --quick sizes instead of the default config")
    parser.add_argument("--steps", type=int, default=10, help="measured steps")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured steps first")
    parser.add_argument("--batch-size", type=int, default=None, help="override data.batch_size")
    parser.add_argument("--compile", action="store_true", help="torch.compile the model")
    parser.add_argument("--device", default="auto", help="auto (GPU when present) | cpu | cuda")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--data-root", default=None, help="benchmark data folder (or $JEPA_DOMAINS_DATA)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], help="run-config override a.b=c")
    parser.add_argument("--no-flops", action="store_true", help="skip the FLOP count")
    parser.add_argument("--json", default=None, help="also write the rows to this JSON file")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    kwargs = dict(quick=args.quick, steps=args.steps, warmup=args.warmup, batch_size=args.batch_size,
                  compile_model=args.compile, device=args.device, data_root=args.data_root,
                  overrides=args.overrides, count_flops=not args.no_flops)
    if args.child:
        print("@@ROW@@" + json.dumps(measure(args.child, **kwargs)))
        return 0
    rows = []
    for name in [m.strip() for m in args.modalities.split(",") if m.strip()]:
        cmd = [sys.executable, os.path.abspath(__file__), "--child", name] + [a for a in (argv or sys.argv[1:])]
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        found = [line for line in proc.stdout.splitlines() if line.startswith("@@ROW@@")]
        if proc.returncode == 0 and found:
            row = json.loads(found[-1][len("@@ROW@@"):])
        else:
            tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            row = {"modality": name, "sizes": "quick" if args.quick else "default", "error": tail[:200]}
        row["wall_s"] = time.perf_counter() - start
        rows.append(row)
        print(f"[throughput] {name}: {'FAILED ' + row['error'] if 'error' in row else 'done'} "
              f"({row['wall_s']:.0f}s)", file=sys.stderr)
    print(format_table(rows))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)
    return 0 if all("error" not in r for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
