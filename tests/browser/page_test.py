"""Concord's web page in a real browser (issue: a graphical interface, tested in CI).

Two `concord join --web` clients, ana and ben, on loopback addresses with the fixtures' speech
looping as their microphones and WAV files as their speakers; each page opened in headless
Chromium. Checks: both pages show the other member; ana's page shows ben speaking; a message
typed on ana's page appears on ben's; after ana mutes herself and turns ben down to 0 % on her
page, ben's page stops showing her speaking, and both output WAVs fall silent from then on; a
wrong token gets 403 and a WebSocket from another origin is refused. Saves a screenshot of
ana's page at 1280x800 as docs/web-page.png; ben's "Invite someone" shows the invite ana printed
(and only after asking). Exits 1 on any failure.
"""
import json
import math
import os
import re
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import wave

from common import browser, check, failures, lowest_contrast, wait_for
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONCORD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build/debug/concord"))
FIXTURES = os.path.join(ROOT, "fixtures")
RUN_SECONDS = 16


def start_clients(workdir):
    port = 20000 + (os.getpid() % 20000)
    hosts = ["127.0.0.91", "127.0.0.92"]
    invite = None
    clients = []
    for i, (name, wav) in enumerate([("ana", "a.wav"), ("ben", "b.wav")]):
        args = [CONCORD, "join", "browser-room", "--client-id", name, "--bind", hosts[i], "--port", str(port),
                "--peer", f"{hosts[1 - i]}:{port}", "--duration", str(RUN_SECONDS), "--web", "--loop",
                "--no-echo-cancel", "--no-noise-suppression",
                "--input-wav", os.path.join(FIXTURES, wav), "--output-wav", os.path.join(workdir, f"{name}.out.wav")]
        if invite:
            args += ["--invite", invite]
        env = {"PATH": "/usr/bin:/bin", "CONCORD_HOME": os.path.join(workdir, f"home-{name}")}
        log = open(os.path.join(workdir, f"{name}.log"), "w+")
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
        url = wait_for(lambda: re.search(r"http://127\.0\.0\.1:\d+/\?token=[0-9a-f]{32}", open(log.name).read()), 20)
        if not url:
            raise SystemExit(f"{name}: no page address in its output:\n{open(log.name).read()}")
        if invite is None:
            found = wait_for(lambda: re.search(r"--invite (\S+)", open(log.name).read()), 10)
            if not found:
                raise SystemExit(f"ana printed no invite:\n{open(log.name).read()}")
            invite = found.group(1)
        clients.append({"name": name, "proc": proc, "url": url.group(0), "log": log.name, "invite": invite})
    return clients


def state(driver):
    """What the page shows, read in one go (the lists are redrawn four times a second)."""
    return driver.execute_script("""
        const rows = [...document.querySelectorAll('#members tr')];
        return {
          members: rows.map(r => r.dataset.member),
          speaking: rows.filter(r => r.firstChild.dataset.speaking === 'yes').map(r => r.dataset.member),
          messages: [...document.querySelectorAll('#messages li')].map(li => li.textContent),
          muteLabel: document.getElementById('mute').textContent,
          youSpeaking: document.getElementById('speaking').classList.contains('on'),
          figures: Object.fromEntries(rows.map(r => [r.dataset.member, [...r.children].slice(3, 10).map(td => td.textContent)])),
          phase: document.getElementById('phase').textContent,
        };""")


def levels(path, window=0.25):
    """dBFS of each `window` seconds of a 16-bit or float mono WAV."""
    with wave.open(path) as w:
        rate, width, frames = w.getframerate(), w.getsampwidth(), w.readframes(w.getnframes())
    if width == 2:
        samples = [s / 32768 for s in struct.unpack(f"<{len(frames) // 2}h", frames)]
    else:
        samples = list(struct.unpack(f"<{len(frames) // 4}f", frames))
    n = int(rate * window)
    out = []
    for start in range(0, len(samples) - n + 1, n):
        power = sum(x * x for x in samples[start:start + n]) / n
        out.append(10 * math.log10(power) if power > 1e-12 else -120.0)
    return out


def main():
    workdir = tempfile.mkdtemp(prefix="concord-browser-")
    clients = start_clients(workdir)
    ana, ben = clients
    drivers = []
    try:
        pages = {}
        for c in clients:
            d = browser()
            drivers.append(d)
            d.get(c["url"])
            pages[c["name"]] = d
        a, b = pages["ana"], pages["ben"]

        check(wait_for(lambda: "ben" in state(a)["members"], 15), "ana's page lists ben")
        check(wait_for(lambda: "ana" in state(b)["members"], 15), "ben's page lists ana")
        check(wait_for(lambda: "ben" in state(a)["speaking"], 10), "ana's page shows ben speaking (his file talks)")
        check(wait_for(lambda: "ana" in state(b)["speaking"], 10), "ben's page shows ana speaking")
        figures = wait_for(lambda: (lambda f: f if f and all(v != "—" for i, v in enumerate(f) if i != 2) else None)(
            state(a)["figures"].get("ben")), 10)
        check(bool(figures), f"ben's row shows latency, loss, concealment, buffer, round trip and level ({figures or state(a)['figures']})")
        check(wait_for(lambda: state(a)["youSpeaking"], 10), "ana's page shows her own microphone hearing speech (no processing: by level)")

        box = a.find_element(By.ID, "text")
        box.send_keys("hello from ana's page", Keys.ENTER)
        check(wait_for(lambda: any("hello from ana's page" in m for m in state(b)["messages"]), 10),
              "a message typed on ana's page appears on ben's")

        check(b.find_element(By.ID, "invite").get_attribute("value") == "", "the invite is not on ben's page until asked for")
        b.find_element(By.ID, "showInvite").click()
        shown = wait_for(lambda: b.find_element(By.ID, "invite").get_attribute("value"), 5)
        check(shown == ben["invite"], f"ben's page shows the room's invite on request ({(shown or '')[:16]}…)")
        b.find_element(By.ID, "hideInvite").click()

        ratio, where = lowest_contrast(a)
        check(ratio >= 4.5, f"every text on the room's page has contrast 4.5:1 or more (WCAG AA; lowest {ratio:.1f}:1, {where})")

        os.makedirs(os.path.join(ROOT, "docs"), exist_ok=True)
        a.save_screenshot(os.path.join(ROOT, "docs", "web-page.png"))

        # Mute (keyboard: focus and Enter) and ben's volume to 0 % on ana's page.
        clicked = time.monotonic()
        a.find_element(By.ID, "mute").send_keys(Keys.ENTER)
        a.execute_script("""
            const slider = document.querySelector('#members tr[data-member="ben"] input[type=range]');
            slider.value = 0; slider.dispatchEvent(new Event('change'));""")
        check(wait_for(lambda: state(a)["muteLabel"] == "Unmute", 5), "ana's page shows her muted")
        check(wait_for(lambda: "ana" not in state(b)["speaking"], 5), "ben's page stops showing ana speaking")

        # Refusals, through the real browser and over plain HTTP.
        port = int(re.search(r":(\d+)/", ana["url"]).group(1))
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/?token={'0' * 32}", timeout=5)
            check(False, "a wrong token is refused (got 200)")
        except urllib.error.HTTPError as e:
            check(e.code == 403, f"a wrong token is refused (HTTP {e.code})")
        token = ana["url"].split("token=")[1]
        b.get("about:blank")
        outcome = b.execute_async_script("""
            const done = arguments[arguments.length - 1];
            const ws = new WebSocket(arguments[0]);
            ws.onopen = () => done('open'); ws.onerror = () => done('refused');""", f"ws://127.0.0.1:{port}/ws?token={token}")
        check(outcome == "refused", f"a WebSocket from another origin (about:blank) is refused ({outcome})")

        deadline = time.monotonic() + RUN_SECONDS + 20
        while time.monotonic() < deadline and any("ended" not in c for c in clients):
            for c in clients:
                if "ended" not in c and c["proc"].poll() is not None:
                    c["ended"] = time.monotonic()
            time.sleep(0.05)
        for c in clients:
            check(c["proc"].poll() == 0, f"{c['name']} exits 0 (log {c['log']})")

        # A file's end is its process's end: its last (end − change − 1.5 s) are after the change,
        # and must be silent (ana sends nothing; ben is at 0 % for ana); before it, speech was heard.
        for c, what in [(ben, "ben hears nothing of the muted ana"), (ana, "ana hears nothing of ben at 0 %")]:
            series = levels(os.path.join(workdir, f"{c['name']}.out.wav"))
            after = int((c.get("ended", time.monotonic()) - clicked - 1.5) / 0.25)
            tail = series[-after:] if after > 0 else []
            before = series[: max(1, len(series) - after - 8)]
            check(len(tail) >= 8 and max(tail) < -55,
                  f"{what}: {len(tail) * 0.25:.1f} s after the change, loudest 250 ms {max(tail) if tail else float('nan'):.1f} dBFS")
            check(max(before) > -35, f"...and speech was heard before it: loudest 250 ms {max(before):.1f} dBFS")
    finally:
        for d in drivers:
            d.quit()
        for c in clients:
            if c["proc"].poll() is None:
                c["proc"].kill()
    if failures:
        print(f"{len(failures)} check(s) failed", flush=True)
        sys.exit(1)
    print("the page works in Chromium", flush=True)


if __name__ == "__main__":
    main()
