"""Packaged base encoders: the split MPNet zip read across its pieces."""

from __future__ import annotations

import io
import json
import zipfile
from itertools import pairwise
from pathlib import Path

import pytest

from desktop_qa.core.encoders import MPNET, JoinedFiles, SplitZipEncoder, extracted_folder
from desktop_qa.core.errors import InputError


def test_a_zip_split_into_pieces_reads_as_one(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    files = {f"enc/{i}.bin": bytes(range(256)) * (40 + i) for i in range(5)}
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    whole = buffer.getvalue()
    cuts = [0, 1000, 1001, len(whole) // 2, len(whole)]
    pieces = []
    for i, (a, b) in enumerate(pairwise(cuts)):
        pieces.append(tmp_path / f"enc.zip.{i:03d}")
        pieces[-1].write_bytes(whole[a:b])
    joined = JoinedFiles(pieces)
    assert joined.read() == whole
    with zipfile.ZipFile(JoinedFiles(pieces)) as archive:
        assert {name: archive.read(name) for name in archive.namelist()} == files


def test_missing_pieces_name_the_packages_to_install(tmp_path: Path) -> None:
    absent = SplitZipEncoder("x", ("no-such-package-part-001",), "x/", ("config.json",), "0" * 64)
    with pytest.raises(InputError, match="pip install no-such-package-part-001"):
        extracted_folder(absent, tmp_path)


def test_the_mpnet_encoder_is_extracted_once_checked_and_loads(tmp_path: Path) -> None:
    import importlib.metadata

    try:
        for package in MPNET.packages:
            importlib.metadata.distribution(package)
    except importlib.metadata.PackageNotFoundError:
        pytest.skip(f"the MPNet packages are not installed ({MPNET.pip_install()})")
    folder = extracted_folder(MPNET, tmp_path)
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [*MPNET.files, "desktop_qa_origin.json"]
    )
    assert json.loads((folder / "config.json").read_text())["model_type"] == "mpnet"
    stamp = (folder / "model.safetensors").stat().st_mtime_ns
    assert extracted_folder(MPNET, tmp_path) == folder
    assert (folder / "model.safetensors").stat().st_mtime_ns == stamp
