#!/usr/bin/env python3
"""Scores (reference, degraded) WAV pairs with visqol-python (speech mode, lattice mapping).

The independent implementation used to validate Concord's Swift ViSQOL. Input: lines
"REFERENCE<TAB>DEGRADED" on stdin. Output: one JSON object per line on stdout.
Files at 48 kHz are resampled to 16 kHz with scipy's polyphase resampler (visqol-python's speech
mode expects 16 kHz and does not resample); 16 kHz files are used as they are.
"""
import json
import sys

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly
from visqol import VisqolApi


def load_16k(path):
    data, rate = sf.read(path, dtype="float64", always_2d=True)
    mono = data.mean(axis=1)
    if rate == 16000:
        return mono
    if rate == 48000:
        return resample_poly(mono, 1, 3)
    raise SystemExit(f"{path}: {rate} Hz; expected 16000 or 48000")


def main():
    api = VisqolApi()
    api.create(mode="speech", use_lattice_model=True)
    for line in sys.stdin:
        line = line.rstrip("\n")
        if not line:
            continue
        reference, degraded = line.split("\t")
        result = api.measure_from_arrays(load_16k(reference), load_16k(degraded), 16000)
        print(json.dumps({
            "reference": reference,
            "degraded": degraded,
            "moslqo": float(result.moslqo),
            "vnsim": float(result.vnsim),
            "fvnsim": [float(v) for v in result.fvnsim],
            "fvnsim10": [float(v) for v in result.fvnsim10],
            "fstdnsim": [float(v) for v in result.fstdnsim],
            "fvdegenergy": [float(v) for v in result.fvdegenergy],
            "patches": len(result.patch_sims),
        }), flush=True)


if __name__ == "__main__":
    main()
