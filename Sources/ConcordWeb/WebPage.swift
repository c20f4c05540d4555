/// The page: one self-contained document (no fonts, scripts or styles from anywhere else). It
/// draws what each snapshot says and sends the commands the terminal view has; it decides
/// nothing itself.
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
  body { margin: 0; font: 15px/1.45 system-ui, sans-serif; background: var(--bg); color: var(--text); }
  header { padding: 12px 20px; background: var(--panel); display: flex; gap: 24px; align-items: baseline; flex-wrap: wrap; }
  header h1 { font-size: 18px; margin: 0; }
  main { display: grid; grid-template-columns: minmax(0, 3fr) minmax(280px, 2fr); gap: 16px; padding: 16px 20px; }
  section { background: var(--panel); border-radius: 8px; padding: 12px 16px; }
  h2 { font-size: 15px; margin: 0 0 8px; color: var(--dim); font-weight: 600; }
  table { width: 100%; border-collapse: collapse; }
  th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #2c343d; }
  th { color: var(--dim); font-weight: 500; font-size: 13px; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
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
  input[type=text] { flex: 1; font: inherit; padding: 6px 10px; border-radius: 6px; border: 1px solid #3a444e; background: var(--bg); color: var(--text); }
  input[type=range] { width: 110px; }
  .dim { color: var(--dim); }
  #status { color: var(--warn); }
</style>
</head>
<body>
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
      <table>
        <thead><tr><th>name</th><th>fingerprint</th><th>status</th><th class="num">latency ms</th><th class="num">loss %</th>
        <th class="num">concealed %</th><th class="num">round trip ms</th><th>volume</th></tr></thead>
        <tbody id="members"></tbody>
      </table>
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
    [fmt(m.latencyMs), "num"], [fmt(m.lossPercent, 1), "num"], [fmt(m.concealedPercent, 1), "num"], [fmt(m.roundTripMs), "num"],
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
  $("echo").textContent = s.echoCancellation ? (s.echoPathMs !== undefined && s.echoPathMs !== null ? "echo cancelled (path " + s.echoPathMs + " ms)" : "echo canceller on") : "";
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

function connect() {
  socket = new WebSocket("ws://" + location.host + "/ws?token=" + encodeURIComponent(token));
  socket.onopen = () => { $("status").textContent = ""; };
  socket.onmessage = (event) => {
    const data = JSON.parse(event.data);
    if (data.error) { $("status").textContent = data.error; return; }
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
