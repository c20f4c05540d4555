/// The page: one self-contained document (no fonts, scripts or styles from anywhere else). It
/// draws what each state says — a room's snapshot, or `concord ui`'s lobby — and sends the
/// commands; it decides nothing itself.
enum WebPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Concord</title>
<style>
  :root { --bg: #101418; --panel: #1b2128; --text: #e8edf2; --dim: #a9b4bf; --accent: #5cc8ff; --warn: #ffb347; --bad: #ff6b6b; --ok: #5be37d; }
  * { box-sizing: border-box; }
  [hidden] { display: none !important; }
  body { margin: 0; font: 15px/1.45 system-ui, sans-serif; background: var(--bg); color: var(--text); }
  header { padding: 12px 20px; background: var(--panel); display: flex; gap: 24px; align-items: baseline; flex-wrap: wrap; }
  header h1 { font-size: 18px; margin: 0; }
  main { display: grid; grid-template-columns: minmax(0, 1fr) minmax(260px, 320px); gap: 16px; padding: 16px 20px; }
  @media (max-width: 1000px) { main { grid-template-columns: minmax(0, 1fr); } }
  section { background: var(--panel); border-radius: 8px; padding: 12px 16px; }
  h2 { font-size: 15px; margin: 0 0 8px; color: var(--dim); font-weight: 600; }
  table { width: 100%; border-collapse: collapse; }
  th, td { text-align: left; padding: 6px 5px; border-bottom: 1px solid #2c343d; }
  th { color: var(--dim); font-weight: 500; font-size: 13px; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
  td { white-space: nowrap; }
  td.dim { font-size: 13px; }
  .tablewrap { overflow-x: auto; }
  .dot { display: inline-block; width: 10px; height: 10px; border-radius: 50%; background: #3a444e; margin-right: 6px; }
  .dot.on { background: var(--ok); box-shadow: 0 0 6px var(--ok); }
  .warn { color: #1b1200; background: var(--warn); padding: 6px 10px; border-radius: 6px; font-weight: 700; margin: 8px 0; }
  .meter { width: 160px; height: 10px; background: #2c343d; border-radius: 5px; overflow: hidden; display: inline-block; vertical-align: middle; }
  .meter > div { height: 100%; background: var(--accent); width: 0; }
  button { font: inherit; color: var(--bg); background: var(--accent); border: 0; border-radius: 6px; padding: 6px 14px; cursor: pointer; }
  button:focus-visible, input:focus-visible { outline: 3px solid var(--warn); outline-offset: 2px; }
  button.secondary { background: #3a444e; color: var(--text); }
  #messages { list-style: none; margin: 0; padding: 0; max-height: 50vh; overflow-y: auto; }
  #messages li { padding: 3px 0; }
  #messages .from { color: var(--accent); font-weight: 600; margin-right: 6px; }
  #messages .notice { color: var(--dim); font-style: italic; }
  #messages .error { color: var(--bad); }
  form { display: flex; gap: 8px; margin-top: 10px; }
  input[type=text] { flex: 1; min-width: 0; font: inherit; padding: 6px 10px; border-radius: 6px; border: 1px solid #3a444e; background: var(--bg); color: var(--text); }
  input[type=range] { width: 90px; }
  .dim { color: var(--dim); }
  #status, #lobbyStatus { color: var(--warn); }
  #lobbyView main { grid-template-columns: minmax(0, 1fr); max-width: 960px; }
  .field { display: grid; grid-template-columns: 9em 1fr; gap: 8px; align-items: center; margin: 6px 0; }
  .field input[type=text], .field input[type=password], select { font: inherit; padding: 6px 10px; border-radius: 6px; border: 1px solid #3a444e; background: var(--bg); color: var(--text); }
  fieldset { border: 1px solid #2c343d; border-radius: 6px; margin: 8px 0; }
  #notice { color: var(--accent); }
</style>
</head>
<body>
<div id="lobbyView" hidden>
<header>
  <h1>Concord</h1>
  <span>you: <strong id="lobbyName"></strong> <span class="dim" id="lobbyFingerprint"></span></span>
  <span id="lobbyStatus" role="status"></span>
</header>
<main>
  <section aria-labelledby="networks-title">
    <h2 id="networks-title">ZeroTier networks</h2>
    <p id="zeroTierProblem" class="warn" hidden></p>
    <div class="tablewrap"><table>
      <thead><tr><th>network</th><th>name</th><th>status</th><th>addresses</th><th></th></tr></thead>
      <tbody id="networks"></tbody>
    </table></div>
    <ul id="joiningNetworks" class="dim" aria-live="polite"></ul>
    <form id="joinNetworkForm">
      <label for="networkID" class="dim" style="align-self:center">Join</label>
      <input id="networkID" type="text" autocomplete="off" maxlength="16" placeholder="network id, 16 hex digits">
      <button type="submit">Join network</button>
    </form>
  </section>
  <section aria-labelledby="room-form-title">
    <h2 id="room-form-title">Join or create a room</h2>
    <form id="roomForm" style="display:block">
      <div class="field"><label for="roomID">Room</label><input id="roomID" type="text" maxlength="32" required></div>
      <div class="field"><label for="yourName">Your name</label><input id="yourName" type="text" maxlength="32"></div>
      <div class="field"><label for="where">On</label><select id="where"></select></div>
      <div class="field" id="bindField"><label for="bindAddress">Address</label><input id="bindAddress" type="text" placeholder="an address of this machine, e.g. 127.0.0.5"></div>
      <div class="field"><label for="peers">Peers</label><input id="peers" type="text" placeholder="optional: ADDR:PORT, comma-separated"></div>
      <fieldset><legend class="dim">The room's key</legend>
        <label><input type="radio" name="secret" value="new" checked> a new room</label>
        <label><input type="radio" name="secret" value="invite"> an invite</label>
        <label><input type="radio" name="secret" value="passphrase"> a passphrase</label>
        <div class="field" id="secretField" hidden><label for="secretText" id="secretLabel">Invite</label><input id="secretText" type="password" autocomplete="off"></div>
      </fieldset>
      <div class="field"><label for="inputDevice">Microphone</label><select id="inputDevice"></select></div>
      <div class="field"><label for="outputDevice">Speaker</label><select id="outputDevice"></select></div>
      <p><button id="joinRoom" type="submit">Join the room</button> <span id="starting" class="dim" aria-live="polite"></span></p>
    </form>
    <p id="notice" role="status"></p>
  </section>
</main>
</div>
<div id="roomView">
<header>
  <h1>Concord · <span id="room">…</span></h1>
  <span>you: <strong id="you"></strong> <span class="dim" id="fingerprint"></span></span>
  <span id="phase" class="dim"></span>
  <span id="status" role="status">connecting…</span>
</header>
<main>
  <div>
    <section aria-labelledby="input-title">
      <h2 id="input-title">Your microphone</h2>
      <span class="dot" id="speaking" title="speaking"></span>
      <span class="meter" aria-hidden="true"><div id="level"></div></span>
      <span id="levelText" class="dim"></span>
      <span id="echo" class="dim"></span>
      <button id="mute" type="button">Mute</button>
    </section>
    <section aria-labelledby="members-title" style="margin-top:16px">
      <h2 id="members-title">People in the room</h2>
      <div id="keyWarnings"></div>
      <div class="tablewrap"><table>
        <thead><tr><th>name</th><th>fingerprint</th><th>status</th><th class="num" title="mouth-to-ear estimate">latency ms</th>
        <th class="num" title="of their voice, here">loss %</th><th class="num" title="of your voice, as they report it">their loss %</th>
        <th class="num">concealed %</th><th class="num" title="jitter buffer delay">buffer ms</th><th class="num">round trip ms</th>
        <th class="num">level dB</th><th>volume</th></tr></thead>
        <tbody id="members"></tbody>
      </table></div>
    </section>
  </div>
  <section aria-labelledby="messages-title">
    <h2 id="messages-title">Messages</h2>
    <ul id="messages" aria-live="polite"></ul>
    <form id="say">
      <label for="text" class="dim" style="align-self:center">Say</label>
      <input id="text" type="text" autocomplete="off" maxlength="1000" placeholder="a message to the room">
      <button type="submit">Send</button>
    </form>
    <p><button id="showInvite" type="button" class="secondary">Invite someone</button>
      <button id="leave" type="button" class="secondary">Leave the room</button></p>
    <div id="invitePanel" hidden>
      <label for="invite" class="dim">Others join with this invite (it is the room's key: send it privately)</label>
      <form id="inviteForm"><input id="invite" type="text" readonly><button id="copyInvite" type="submit">Copy</button>
      <button id="hideInvite" type="button" class="secondary">Hide</button></form>
    </div>
  </section>
</main>
</div>
<script>
"use strict";
const token = new URLSearchParams(location.search).get("token") || "";
const $ = (id) => document.getElementById(id);
const fmt = (v, digits = 0) => (v === null || v === undefined) ? "—" : Number(v).toFixed(digits);
let socket = null, last = null;

function send(command) {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(command));
}

function row(m) {
  const tr = document.createElement("tr");
  const cells = [
    [(m.speaking ? "● " : "") + m.name, ""], [m.fingerprint || "…", "dim"], [m.status, ""],
    [fmt(m.latencyMs), "num"], [fmt(m.lossPercent, 1), "num"], [fmt(m.outboundLossPercent, 1), "num"],
    [fmt(m.concealedPercent, 1), "num"], [fmt(m.jitterBufferMs), "num"], [fmt(m.roundTripMs), "num"], [fmt(m.levelDBFS), "num"],
  ];
  for (const [text, cls] of cells) { const td = document.createElement("td"); td.textContent = text; if (cls) td.className = cls; tr.appendChild(td); }
  tr.firstChild.dataset.speaking = m.speaking ? "yes" : "no";
  const td = document.createElement("td");
  const slider = document.createElement("input");
  slider.type = "range"; slider.min = 0; slider.max = 400; slider.step = 10; slider.value = Math.round(m.volumePercent);
  slider.setAttribute("aria-label", "volume of " + m.name);
  slider.addEventListener("change", () => send({command: "volume", member: m.clientID, percent: Number(slider.value)}));
  const label = document.createElement("span"); label.className = "dim"; label.textContent = " " + Math.round(m.volumePercent) + " %";
  td.append(slider, label);
  tr.appendChild(td);
  tr.dataset.member = m.clientID;
  return tr;
}

function draw(s) {
  last = s;
  $("room").textContent = s.room;
  $("you").textContent = s.clientID;
  $("fingerprint").textContent = s.fingerprint;
  $("phase").textContent = s.phase === "member" ? "in the room" : s.phase === "left" ? "left" : "looking for the room…";
  const level = s.inputLevelDBFS;
  $("level").style.width = level === null || level === undefined ? "0%" : Math.max(0, Math.min(100, (level + 60) / 60 * 100)) + "%";
  $("levelText").textContent = level === null || level === undefined ? "no input device" : fmt(level) + " dB" + (s.sentLevelDBFS !== undefined && s.sentLevelDBFS !== null ? ", sent " + fmt(s.sentLevelDBFS) + " dB" : "");
  $("speaking").classList.toggle("on", !!s.speaking);
  $("echo").textContent = !s.echoCancellation ? "" : s.echoHeard === false ? "no echo heard (canceller bypassed)"
    : s.echoHeard === true ? (s.echoPathMs != null ? "echo cancelled (path " + s.echoPathMs + " ms)" : "echo cancelled") : "echo canceller on";
  $("mute").textContent = s.muted ? "Unmute" : "Mute";
  $("mute").setAttribute("aria-pressed", s.muted ? "true" : "false");
  const warnings = $("keyWarnings"); warnings.replaceChildren();
  for (const m of s.members.filter((m) => m.keyChanged)) {
    const div = document.createElement("div"); div.className = "warn"; div.setAttribute("role", "alert");
    div.textContent = "⚠ " + m.name + "'s identity key has CHANGED since you last met: this may not be them.";
    warnings.appendChild(div);
  }
  const focused = document.activeElement && document.activeElement.closest("tr") ? document.activeElement.closest("tr").dataset.member : null;
  if (!focused) $("members").replaceChildren(...s.members.map(row));
  const list = $("messages");
  const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 4;
  list.replaceChildren(...s.messages.map((m) => {
    const li = document.createElement("li"); li.className = m.kind;
    if (m.kind === "text") { const from = document.createElement("span"); from.className = "from"; from.textContent = m.from; li.appendChild(from); }
    li.appendChild(document.createTextNode(m.text));
    return li;
  }));
  if (atBottom) list.scrollTop = list.scrollHeight;
}

// The lobby (`concord ui` before a room): redrawn only where its data changed, so that what is
// being typed or chosen in the forms stays put.
const drawn = {};
function changed(key, value) { const json = JSON.stringify(value); if (drawn[key] === json) return false; drawn[key] = json; return true; }
function options(select, items) {
  const keep = select.value;
  select.replaceChildren(...items.map(([value, label]) => { const o = document.createElement("option"); o.value = value; o.textContent = label; return o; }));
  if (items.some(([value]) => value === keep)) select.value = keep;
}
function drawLobby(l) {
  $("lobbyName").textContent = l.name;
  $("lobbyFingerprint").textContent = l.fingerprint;
  if (!$("yourName").value && document.activeElement !== $("yourName")) $("yourName").value = l.name;
  $("zeroTierProblem").hidden = !l.zeroTierProblem;
  $("zeroTierProblem").textContent = l.zeroTierProblem || "";
  if (changed("networks", l.networks)) {
    $("networks").replaceChildren(...l.networks.map((n) => {
      const tr = document.createElement("tr"); tr.dataset.network = n.id;
      for (const text of [n.id, n.name || "—", n.status, n.addresses.join(", ") || "—"]) { const td = document.createElement("td"); td.textContent = text; tr.appendChild(td); }
      const td = document.createElement("td"); const b = document.createElement("button"); b.type = "button"; b.className = "secondary";
      b.textContent = "Leave"; b.setAttribute("aria-label", "leave network " + n.id);
      b.addEventListener("click", () => send({command: "leaveNetwork", network: n.id}));
      td.appendChild(b); tr.appendChild(td);
      return tr;
    }));
    const ready = l.networks.filter((n) => n.ipv4);
    const wasBind = $("where").value === "bind" && !$("bindAddress").value;
    options($("where"), [...ready.map((n) => ["zt:" + n.id, "ZeroTier " + (n.name || n.id) + " (" + n.ipv4 + ")"]), ["bind", "an address of this machine"]]);
    // A network that has just become ready is the likely choice, unless an address was typed.
    if (wasBind && ready.length) $("where").value = "zt:" + ready[0].id;
    $("bindField").hidden = $("where").value !== "bind";
  }
  if (changed("joining", l.joiningNetworks)) {
    $("joiningNetworks").replaceChildren(...l.joiningNetworks.map((j) => { const li = document.createElement("li"); li.textContent = j.text; li.dataset.network = j.network; return li; }));
  }
  if (changed("devices", [l.inputs, l.outputs, l.fixedInput, l.fixedOutput])) {
    options($("inputDevice"), l.fixedInput ? [["", l.fixedInput]] : [["", "the default"], ...l.inputs.map((d) => [String(d.index), d.name])]);
    options($("outputDevice"), l.fixedOutput ? [["", l.fixedOutput]] : [["", "the default"], ...l.outputs.map((d) => [String(d.index), d.name])]);
  }
  $("starting").textContent = l.startingRoom ? "joining " + l.startingRoom + ": " + (l.startingProgress || "") : "";
  $("joinRoom").disabled = !!l.startingRoom;
  $("notice").textContent = l.notice || "";
}
function secretChoice() { return document.querySelector('input[name=secret]:checked').value; }
for (const radio of document.querySelectorAll('input[name=secret]')) {
  radio.addEventListener("change", () => {
    const choice = secretChoice();
    $("secretField").hidden = choice === "new";
    $("secretLabel").textContent = choice === "invite" ? "Invite" : "Passphrase";
  });
}
$("where").addEventListener("change", () => { $("bindField").hidden = $("where").value !== "bind"; });
$("joinNetworkForm").addEventListener("submit", (event) => {
  event.preventDefault();
  send({command: "joinNetwork", network: $("networkID").value.trim().toLowerCase()});
  $("networkID").value = "";
});
$("roomForm").addEventListener("submit", (event) => {
  event.preventDefault();
  const request = {command: "joinRoom", room: $("roomID").value.trim()};
  const name = $("yourName").value.trim(); if (name) request.name = name;
  const where = $("where").value;
  if (where.startsWith("zt:")) request.network = where.slice(3); else request.bind = $("bindAddress").value.trim();
  const peers = $("peers").value.split(",").map((p) => p.trim()).filter((p) => p); if (peers.length) request.peers = peers;
  const choice = secretChoice();
  if (choice !== "new") request[choice] = $("secretText").value.trim();
  if ($("inputDevice").value) request.input = $("inputDevice").value;
  if ($("outputDevice").value) request.output = $("outputDevice").value;
  $("secretText").value = "";
  send(request);
});
function show(lobby) {
  if ($("lobbyView").hidden === !lobby) return;
  $("lobbyView").hidden = !lobby; $("roomView").hidden = lobby;
  for (const key of Object.keys(drawn)) delete drawn[key];
}

function connect() {
  socket = new WebSocket("ws://" + location.host + "/ws?token=" + encodeURIComponent(token));
  socket.onopen = () => { $("status").textContent = ""; };
  socket.onmessage = (event) => {
    const data = JSON.parse(event.data);
    if (data.error) { $("status").textContent = data.error; $("lobbyStatus").textContent = data.error; return; }
    if (data.lobby) { show(true); drawLobby(data.lobby); return; }
    show(false);
    $("lobbyStatus").textContent = "";
    if (data.invite) { $("invite").value = data.invite; $("invitePanel").hidden = false; $("invite").select(); return; }
    draw(data);
  };
  socket.onclose = () => {
    $("status").textContent = last && last.phase === "left" ? "left the room" : "disconnected from concord — reconnecting…";
    setTimeout(connect, 1000);
  };
}

$("say").addEventListener("submit", (event) => {
  event.preventDefault();
  const text = $("text").value;
  if (text.trim()) send({command: "say", text});
  $("text").value = "";
});
$("mute").addEventListener("click", () => send({command: last && last.muted ? "unmute" : "mute"}));
$("leave").addEventListener("click", () => send({command: "leave"}));
// The invite is asked for, never pushed: it stays out of the snapshots and off the screen until wanted.
$("showInvite").addEventListener("click", () => send({command: "invite"}));
$("hideInvite").addEventListener("click", () => { $("invitePanel").hidden = true; $("invite").value = ""; });
$("inviteForm").addEventListener("submit", (event) => {
  event.preventDefault();
  const text = $("invite").value;
  const copied = () => { $("copyInvite").textContent = "Copied"; setTimeout(() => { $("copyInvite").textContent = "Copy"; }, 2000); };
  $("invite").select();
  if (navigator.clipboard) navigator.clipboard.writeText(text).then(copied, () => { if (document.execCommand("copy")) copied(); });
  else if (document.execCommand("copy")) copied();
});
connect();
</script>
</body>
</html>
"""#
}
