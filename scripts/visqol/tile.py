#!/usr/bin/env python3
"""tile.py IN.wav OUT.wav SECONDS: IN repeated to exactly SECONDS (what a bench talker says in a run
that long: the bench loops its input). Standard library only."""
import sys
import wave

source, target, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
with wave.open(source) as w:
    params = w.getparams()
    data = w.readframes(w.getnframes())
if not data:
    sys.exit(f"{source}: no audio")
needed = int(seconds * params.framerate) * params.sampwidth * params.nchannels
with wave.open(target, "wb") as out:
    out.setparams(params)
    out.writeframes((data * (needed // len(data) + 1))[:needed])
