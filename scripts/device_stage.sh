#!/usr/bin/env bash
# One training stage of the built-in model on a lent GPU machine, as one command:
#
#     bash scripts/device_stage.sh RUN_NAME [desktop-qa model train options]
#
# run from the repo root through the device tool with `.device` carried (made here
# by scripts/prepare_device_stage.py). It rebuilds the shipped model's weights from
# its int8 graph (scripts/recover_run.py), trains a stage from them on the GPU
# (--device cuda, bf16; later options override), exports and quantizes it, and
# writes to $OUT what comes back: the int8 graph in pieces under 16 MiB
# (model_quantized.onnx.part00, ...), the manifest, the log and the GPU's name.
# The stage calibrates and evaluates on only 100 held-out questions there, to save
# device time: refit the calibration here (`desktop-qa model calibrate`).
set -euo pipefail
out=${OUT:?run it through the device tool, which sets OUT}
name=${1:?usage: scripts/device_stage.sh RUN_NAME [model train options]}
shift
work=${DEVICE_STAGE_WORK:-/tmp/device-stage}

mkdir -p "$work"
python3 -m pip install --quiet --no-index --no-deps --no-compile --target "$work/site" \
    .device/wheels/*.whl
export PYTHONPATH="$work/site:$PWD/.device/site:$PWD" PYTHONUNBUFFERED=1
gunzip -c .device/train-v1.1.json.gz >"$work/train-v1.1.json"
{ nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || echo "no nvidia-smi"; } \
    | tee "$out/device.txt"

python3 scripts/recover_run.py models/desktop-qa-minilm-squad "$work/shipped"
python3 -m desktop_qa model train --base all-minilm-l6-v2 --data "$work/train-v1.1.json" \
    --out "$work/$name" --init "$work/shipped" --device cuda --precision bf16 \
    --checkpoint-every 500 --validation-limit 100 "$@" 2>&1 >/dev/null \
    | tee "$out/train.log"

model="$work/$name/model"
split --bytes=15M --numeric-suffixes "$model/model_quantized.onnx" "$out/model_quantized.onnx.part"
cp "$model/desktop_qa.json" "$out/"
ls -l "$out"
