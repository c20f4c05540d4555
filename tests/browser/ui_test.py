"""`concord ui` in a real browser: networks and rooms managed from the page.

A fake ZeroTier One service (`fake-zerotier-one`, assigning 127.0.0.1/24 so that the room works on
loopback), a JACK server with its dummy backend (a sound card paced at 48 kHz, the one clocked
device a machine without a sound card can have; ALSA pointed at its null plugin), and `concord ui`
for ana; her page in headless Chromium. Through the page: join the ZeroTier network (its wait is
shown, then it is listed with its address), choose JACK's device as microphone and speaker (the
room opens it: its ports appear in the JACK server, and go when the room is left), create a room
on the network, ask for the invite; ben joins
with that invite from the command line (`concord join`); the page lists ben and shows him speaking;
a message typed on it reaches ben; Leave returns to the networks, and the network is left.
A wrong token gets 403. Saves a screenshot of the lobby at 1280x800 as docs/web-ui-lobby.png.
Exits 1 on any failure.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from common import browser, check, failures, lowest_contrast, wait_for
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONCORD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build/debug/concord"))
FAKE = os.path.join(os.path.dirname(CONCORD), "fake-zerotier-one")
FIXTURES = os.path.join(ROOT, "fixtures")
NETWORK = "8056c2e21c000001"


def lobby(driver):
    return driver.execute_script("""
        return {
          shown: !document.getElementById('lobbyView').hidden,
          networks: [...document.querySelectorAll('#networks tr')].map(r => r.textContent),
          joining: [...document.querySelectorAll('#joiningNetworks li')].map(li => li.textContent),
          where: [...document.querySelectorAll('#where option')].map(o => o.value),
          input: [...document.querySelectorAll('#inputDevice option')].map(o => o.textContent),
          notice: document.getElementById('notice').textContent,
          starting: document.getElementById('starting').textContent,
          status: document.getElementById('lobbyStatus').textContent,
        };""")


def room(driver):
    return driver.execute_script("""
        const rows = [...document.querySelectorAll('#members tr')];
        return {
          shown: !document.getElementById('roomView').hidden,
          room: document.getElementById('room').textContent,
          members: rows.map(r => r.dataset.member),
          speaking: rows.filter(r => r.firstChild.dataset.speaking === 'yes').map(r => r.dataset.member),
        };""")


def main():
    workdir = tempfile.mkdtemp(prefix="concord-ui-")
    port = 20000 + ((os.getpid() + 7919) % 20000)
    procs = []
    driver = None
    try:
        zt_home = os.path.join(workdir, "zt")
        fake = subprocess.Popen([FAKE, "--home", zt_home, "--ipv4", "127.0.0.1/24", "--config-delay-seconds", "2"],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        procs.append(fake)
        ready = fake.stdout.readline()
        if not ready.startswith("ready"):
            raise SystemExit(f"fake-zerotier-one did not start: {ready!r}")

        jack = f"concord-ui-{os.getpid()}"
        procs.append(subprocess.Popen(["jackd", "--no-realtime", "-n", jack, "-d", "dummy", "-r", "48000", "-p", "480",
                                       "-C", "2", "-P", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                      env={"PATH": "/usr/bin:/bin", "JACK_NO_AUDIO_RESERVATION": "1"}))
        if subprocess.run(["jack_wait", "-s", jack, "-w", "-t", "10"], capture_output=True).returncode != 0:
            raise SystemExit("the JACK dummy server did not start")
        alsa = os.path.join(workdir, "asound.conf")
        with open(alsa, "w") as f:
            f.write('pcm.concord_null {\n type null\n}\npcm.!default {\n type plug\n slave.pcm "concord_null"\n}\n')

        ana_log = os.path.join(workdir, "ana.log")
        env = {"PATH": "/usr/bin:/bin", "CONCORD_HOME": os.path.join(workdir, "home-ana"), "ZEROTIER_HOME": zt_home,
               "ALSA_CONFIG_PATH": alsa, "JACK_DEFAULT_SERVER": jack, "JACK_NO_AUDIO_RESERVATION": "1"}
        ana = subprocess.Popen([CONCORD, "ui", "--name", "ana", "--port", str(port),
                                "--no-echo-cancel", "--no-noise-suppression"],
                               stdout=open(ana_log, "w"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)

        def jack_ports():
            return subprocess.run(["jack_lsp", "-s", jack], capture_output=True, text=True).stdout.split()
        procs.append(ana)
        url = wait_for(lambda: re.search(r"http://127\.0\.0\.1:\d+/\?token=[0-9a-f]{32}", open(ana_log).read()), 20)
        if not url:
            raise SystemExit(f"concord ui printed no page address:\n{open(ana_log).read()}")
        url = url.group(0)

        driver = browser()
        driver.get(url)
        check(wait_for(lambda: lobby(driver)["shown"], 10), "the page opens on the lobby (no room yet)")
        check(wait_for(lambda: lobby(driver)["networks"] == [] and lobby(driver)["where"] == ["bind"], 10),
              "no networks joined: a room can only be on an address")
        devices = lobby(driver)["input"]
        check(devices[0] == "the default" and "system" in devices, f"the microphones PortAudio finds are offered ({devices})")

        # Join the network from the page; the wait is shown while the fake withholds its configuration.
        driver.find_element(By.ID, "networkID").send_keys(NETWORK, Keys.ENTER)
        waiting = wait_for(lambda: [j for j in lobby(driver)["joining"] if NETWORK in j], 5, step=0.05)
        check(bool(waiting), f"the join's wait is shown ({(waiting or ['nothing'])[0][:80]})")
        listed = wait_for(lambda: [n for n in lobby(driver)["networks"] if NETWORK in n and "127.0.0.1/24" in n], 20)
        check(bool(listed), f"the network is listed with its address ({(listed or ['nothing'])[0]})")
        check(wait_for(lambda: f"zt:{NETWORK}" in lobby(driver)["where"], 5), "a room can be created on it")

        # A new room on the network.
        ratio, where = lowest_contrast(driver)
        check(ratio >= 4.5, f"every text in the lobby has contrast 4.5:1 or more (WCAG AA; lowest {ratio:.1f}:1, {where})")
        os.makedirs(os.path.join(ROOT, "docs"), exist_ok=True)
        driver.save_screenshot(os.path.join(ROOT, "docs", "web-ui-lobby.png"))
        driver.find_element(By.ID, "roomID").send_keys("ui-room")
        Select(driver.find_element(By.ID, "inputDevice")).select_by_visible_text("system")
        Select(driver.find_element(By.ID, "outputDevice")).select_by_visible_text("system")
        check(Select(driver.find_element(By.ID, "where")).first_selected_option.get_attribute("value") == f"zt:{NETWORK}",
              "the ready network is chosen for the room")
        check(not driver.find_element(By.ID, "bindAddress").is_displayed()
              and not driver.find_element(By.ID, "secretText").is_displayed(),
              "no address or invite box while a network and a new room are chosen")
        driver.find_element(By.ID, "joinRoom").click()
        check(wait_for(lambda: room(driver)["shown"] and room(driver)["room"] == "ui-room", 20),
              f"the page turns into the room's ({lobby(driver)['notice'] or lobby(driver)['status']})")

        ports = wait_for(lambda: [p for p in jack_ports() if p.startswith("PortAudio")], 5)
        check(bool(ports), f"the room opened the chosen JACK device ({ports})")

        driver.find_element(By.ID, "showInvite").click()
        invite = wait_for(lambda: driver.find_element(By.ID, "invite").get_attribute("value"), 5)
        check(bool(invite) and invite.startswith("concord1-"), "the page shows the new room's invite on request")

        ben_log = os.path.join(workdir, "ben.log")
        summary = os.path.join(workdir, "ben.json")
        ben = subprocess.Popen([CONCORD, "join", "ui-room", "--client-id", "ben", "--bind", "127.0.0.97",
                                "--port", str(port + 1), "--peer", f"127.0.0.1:{port}", "--invite", invite or "none",
                                "--duration", "12", "--loop", "--no-echo-cancel", "--no-noise-suppression",
                                "--input-wav", os.path.join(FIXTURES, "b.wav"),
                                "--output-wav", os.path.join(workdir, "ben.out.wav"), "--summary-json", summary],
                               stdout=open(ben_log, "w"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                               env={"PATH": "/usr/bin:/bin", "CONCORD_HOME": os.path.join(workdir, "home-ben")})
        procs.append(ben)
        check(wait_for(lambda: "ben" in room(driver)["members"], 15), "ana's page lists ben, who joined with the invite")
        check(wait_for(lambda: "ben" in room(driver)["speaking"], 10), "and shows him speaking")
        driver.find_element(By.ID, "text").send_keys("hello from the ui", Keys.ENTER)
        # The message's line moves the Leave button down: click it once the page has drawn it.
        check(wait_for(lambda: driver.execute_script(
            "return [...document.querySelectorAll('#messages li')].some(li => li.textContent.includes('hello from the ui'))"), 5),
            "the message typed is shown on the page")

        driver.find_element(By.ID, "leave").click()
        clicked = time.monotonic()
        back = wait_for(lambda: lobby(driver)["shown"] and "You left ui-room" in lobby(driver)["notice"], 30)
        if not check(back, f"Leave returns the page to the networks, saying the room was left ({time.monotonic() - clicked:.1f} s)"):
            print(f"  lobby {lobby(driver)}\n  room {room(driver)}\n  log:\n{open(ana_log).read()[-3000:]}", flush=True)

        check(wait_for(lambda: not [p for p in jack_ports() if p.startswith("PortAudio")], 5), "and closed it on leaving")

        ben.wait(timeout=30)
        check(ben.returncode == 0, f"ben exits 0 (log {ben_log})")
        messages = json.load(open(summary)).get("messages", []) if os.path.exists(summary) else []
        check(any("hello from the ui" in json.dumps(m) for m in messages), "ben received the message typed on the page")

        driver.find_element(By.CSS_SELECTOR, f'#networks tr[data-network="{NETWORK}"] button').click()
        check(wait_for(lambda: lobby(driver)["networks"] == [] and "Left" in lobby(driver)["notice"], 10),
              "Leave on the network's row leaves it")

        port_of_page = int(re.search(r":(\d+)/", url).group(1))
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port_of_page}/?token={'0' * 32}", timeout=5)
            check(False, "a wrong token is refused (got 200)")
        except urllib.error.HTTPError as e:
            check(e.code == 403, f"a wrong token is refused (HTTP {e.code})")

        ana.terminate()
        ana.wait(timeout=15)
        check(ana.returncode == 0, f"concord ui exits 0 on SIGTERM (log {ana_log})")
    finally:
        if driver:
            driver.quit()
        # SIGTERM first: a JACK server killed outright leaves its shared memory and registry
        # behind in /dev/shm, and the next JACK server on the machine fails to start.
        for p in reversed(procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    p.kill()
    if failures:
        print(f"{len(failures)} check(s) failed", flush=True)
        sys.exit(1)
    print("concord ui works in Chromium", flush=True)


if __name__ == "__main__":
    main()
