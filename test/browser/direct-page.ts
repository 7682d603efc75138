// A tiny stand-in for AbstractObserver's direct (bearer) mode, served from its own origin.
// Query: ?gateway=<url>&token=<bearer>&workflow=<bundle_id>:<flow_id>[&mode=list]
// Like Observer (clients.md §1.1 B, §1.4) it calls the gateway cross-origin with
// `Authorization: Bearer`, starts a run with a JSON body (preflight: authorization,content-type),
// reads the ledger SSE with fetch + ReadableStream, renders each record into #ledger, and answers
// an ask_user wait with POST /commands. Progress is in #state; failures in #error.

export const DIRECT_PAGE = `<!doctype html>
<html>
<head><meta charset="utf-8"><title>direct client</title></head>
<body>
<div>state: <span id="state">idle</span></div>
<ul id="bundles"></ul>
<div>run: <span id="run"></span> streams opened: <span id="streams">0</span></div>
<ol id="ledger"></ol>
<form id="ask" hidden><label for="response" id="prompt"></label><input id="response"><button type="submit">Submit response</button></form>
<div>run status: <span id="status"></span></div>
<pre id="error"></pre>
<script type="module">
const q = new URLSearchParams(location.search);
const GW = q.get('gateway');
const auth = { Authorization: 'Bearer ' + q.get('token') };
const $ = (id) => document.getElementById(id);
const setState = (s) => { $('state').textContent = s; };
let runId = null;
let waitKey = null;

async function api(method, path, body) {
  const init = { method, headers: { ...auth } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const r = await fetch(GW + '/api/gateway' + path, init);
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch {}
  if (!r.ok) {
    const detail = json && json.detail !== undefined ? (typeof json.detail === 'string' ? json.detail : JSON.stringify(json.detail)) : text;
    throw new Error(method + ' ' + path + ' -> ' + r.status + ' ' + detail);
  }
  return json;
}

function render(cursor, rec) {
  const li = document.createElement('li');
  li.className = 'rec';
  li.dataset.cursor = String(cursor);
  li.dataset.status = String(rec.status);
  const effect = rec.effect && rec.effect.type ? ' ' + rec.effect.type : '';
  const p = (rec.effect && rec.effect.payload) || {};
  const msg = p.message || p.text || p.content || '';
  li.textContent = '#' + cursor + ' ' + rec.node_id + ' ' + rec.status + effect + (msg ? ' "' + msg + '"' : '');
  $('ledger').append(li);
  const wait = rec.result && rec.result.wait;
  if (rec.status === 'waiting' && wait && wait.wait_key) {
    waitKey = wait.wait_key;
    $('prompt').textContent = wait.prompt || '';
    $('ask').hidden = false;
    setState('waiting');
  }
}

function dispatch(ev) {
  if (ev.event !== 'step' || ev.data === undefined) return;
  const d = JSON.parse(ev.data);
  if (typeof d.cursor === 'number' && d.record && typeof d.record === 'object') render(d.cursor, d.record);
}

async function stream(after) {
  $('streams').textContent = String(Number($('streams').textContent) + 1);
  const r = await fetch(GW + '/api/gateway/runs/' + encodeURIComponent(runId) + '/ledger/stream?after=' + after, {
    headers: { ...auth, Accept: 'text/event-stream' },
  });
  if (!r.ok) throw new Error('stream -> ' + r.status);
  const reader = r.body.getReader();
  const dec = new TextDecoder();
  let buf = '';
  let ev = {};
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += dec.decode(value, { stream: true });
    let i;
    while ((i = buf.indexOf('\\n')) >= 0) {
      let line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (line.endsWith('\\r')) line = line.slice(0, -1);
      if (line === '') { dispatch(ev); ev = {}; continue; }
      if (line.startsWith(':')) continue;
      const c = line.indexOf(':');
      const field = c < 0 ? line : line.slice(0, c);
      let val = c < 0 ? '' : line.slice(c + 1);
      if (val.startsWith(' ')) val = val.slice(1);
      if (field === 'data') ev.data = ev.data === undefined ? val : ev.data + '\\n' + val;
      else if (field === 'event') ev.event = val;
      else if (field === 'id') ev.id = val;
    }
  }
}

$('ask').addEventListener('submit', async (e) => {
  e.preventDefault();
  try {
    $('ask').hidden = true;
    await api('POST', '/commands', {
      command_id: crypto.randomUUID(), run_id: runId, type: 'resume',
      payload: { wait_key: waitKey, payload: { response: $('response').value } }, client_id: 'web_pwa',
    });
    setState('answered');
  } catch (err) { $('error').textContent = String(err && err.message || err); setState('error'); }
});

async function main() {
  try {
    setState('connecting');
    const bundles = await api('GET', '/bundles');
    for (const b of bundles.items) {
      for (const ep of b.entrypoints || []) {
        const li = document.createElement('li');
        li.textContent = b.bundle_id + ':' + ep.flow_id;
        $('bundles').append(li);
      }
    }
    setState('connected');
    if (q.get('mode') === 'list') return;
    const [bundle_id, flow_id] = q.get('workflow').split(':');
    const started = await api('POST', '/runs/start', { bundle_id, flow_id, input_data: {}, session_id: 'obs_' + crypto.randomUUID() });
    runId = started.run_id;
    $('run').textContent = runId;
    setState('streaming');
    await stream(0);
    const run = await api('GET', '/runs/' + encodeURIComponent(runId));
    $('status').textContent = run.status;
    setState('done');
  } catch (err) { $('error').textContent = String(err && err.message || err); setState('error'); }
}
main();
</script>
</body>
</html>
`;
