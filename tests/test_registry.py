"""Registry: decorator, listing, unknown names, and a plugin from a separate distribution."""

import os
import subprocess
import sys
import textwrap

import pytest

from jepa_domains import ModalityAdapter, get_modality, list_modalities, register_modality
from jepa_domains.registry import UnknownModalityError

BUILTINS = {"audio", "graph", "pointcloud", "timeseries", "trajectory"}


def test_builtins_are_listed_and_unknown_names_list_them():
    assert BUILTINS <= set(list_modalities())
    with pytest.raises(UnknownModalityError) as err:
        get_modality("spectrogramz")
    assert "spectrogramz" in str(err.value) and all(n in str(err.value) for n in BUILTINS)


def test_decorator_registers_and_warns_on_overwrite():
    @register_modality("unit-test-mod")
    class A(ModalityAdapter):
        pass

    assert isinstance(get_modality("unit-test-mod"), A)
    with pytest.warns(UserWarning, match="re-registered"):
        @register_modality("unit-test-mod")
        class B(ModalityAdapter):
            pass
    with pytest.raises(TypeError):
        register_modality("bad")(object)


PLUGIN = textwrap.dedent('''
    from dataclasses import dataclass
    import torch
    from torch import nn
    from jepa_domains import ModalityAdapter
    from jepa_domains.core import Batch, Layout, Tokens, RandomMasker, sincos_1d

    @dataclass
    class VecBatch(Batch):
        x: torch.Tensor = None

    class VecTokenizer(nn.Module):
        def __init__(self, dim):
            super().__init__()
            self.proj, self.dim = nn.Linear(3, dim), dim
        def forward(self, batch):
            x = self.proj(batch.x)
            pos = sincos_1d(torch.arange(x.shape[1], device=x.device), self.dim).expand_as(x)
            return Tokens(x, pos, batch.layout.padding_mask(x.shape[0]).to(x.device))

    @dataclass
    class VecConfig:
        length: int = 12

    class VectorsAdapter(ModalityAdapter):
        """Plugin modality: random 3-D vector sequences."""
        Config = VecConfig
        default_dataset = "noise"
        def build_tokenizer(self, cfg, dim):
            return VecTokenizer(dim)
        def build_masker(self, cfg):
            return RandomMasker()
        def collate(self, cfg, samples, generators):
            x = torch.stack(samples)
            return VecBatch(layout=Layout((x.shape[1],), valid=torch.full((len(samples),), x.shape[1])),
                            x=x, ids=list(range(len(samples))))
        def load_dataset(self, cfg, source, *, split="train", data_root=None, skip_bad=False):
            g = torch.Generator().manual_seed(0)
            return [torch.randn(cfg.length, 3, generator=g) for _ in range(32)]
''')


def test_entry_point_plugin_from_separate_distribution(tmp_path):
    (tmp_path / "vecplugin").mkdir()
    (tmp_path / "vecplugin" / "__init__.py").write_text(PLUGIN)
    info = tmp_path / "vecplugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: vecplugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[jepa_domains.modalities]\nvectors = vecplugin:VectorsAdapter\n")
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    cli = [sys.executable, "-m", "jepa_domains.cli.app"]
    listed = subprocess.run(cli + ["modalities"], env=env, capture_output=True, text=True, timeout=300)
    assert listed.returncode == 0, listed.stderr
    assert "vectors" in listed.stdout and "Plugin modality" in listed.stdout
    trained = subprocess.run(cli + ["train", "vectors", "--quick", "--out", str(tmp_path / "run"),
                                    "--set", "train.steps=3", "--set", "train.progress=false",
                                    "--set", "modality.length=10"],
                             env=env, capture_output=True, text=True, timeout=300)
    assert trained.returncode == 0, trained.stderr
    assert "done: 3 steps" in trained.stdout
    assert (tmp_path / "run" / "checkpoints" / "last.pt").is_file()
