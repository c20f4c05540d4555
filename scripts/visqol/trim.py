#!/usr/bin/env python3
"""trim.py IN.wav OUT.wav SECONDS: the first SECONDS of IN (what a bench talker said in a run that
long), as 16-bit PCM at IN's rate."""
import sys

import soundfile as sf

source, target, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
data, rate = sf.read(source, dtype="float64", always_2d=True)
sf.write(target, data[: int(seconds * rate)].mean(axis=1), rate, subtype="PCM_16")
