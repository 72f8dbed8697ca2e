// The live page: plain HTML, CSS and a little script, no build step and no library. The script
// follows the server-sent events of /events, draws the view (text set with textContent only,
// never parsed as HTML) and posts the two buttons' actions.
import { NODE_CATEGORIES } from '../cli/heatmap';
import { PHASES } from '../transcode/progress';

const STYLE = `
  :root { font-family: system-ui, sans-serif; color: #1d232b; background: #f5f6f8; }
  body { margin: 0; padding: 16px 24px; }
  h1 { font-size: 20px; margin: 0 0 4px; }
  h2 { font-size: 15px; margin: 0 0 8px; color: #3b4552; }
  section { background: #fff; border: 1px solid #dde1e6; border-radius: 6px; padding: 12px 16px; margin: 12px 0; }
  .row { display: flex; gap: 12px; flex-wrap: wrap; align-items: flex-start; }
  .row > section { flex: 1 1 380px; }
  .badge { display: inline-block; padding: 2px 8px; border-radius: 10px; background: #e3e7ec; font-size: 13px; }
  .badge.ok { background: #d5f0d8; } .badge.bad { background: #f7d4d4; } .badge.live { background: #d6eaf8; }
  #outcome { font-weight: 600; margin: 8px 0; }
  #problem, #connection { background: #fff4d6; border: 1px solid #e9c96b; border-radius: 6px; padding: 8px 12px; margin: 8px 0; }
  #heatmap { display: flex; flex-wrap: wrap; gap: 4px; margin: 8px 0; }
  .node { width: 26px; height: 26px; border-radius: 3px; cursor: default; }
  .legend span { margin-right: 14px; font-size: 13px; white-space: nowrap; }
  .legend i { display: inline-block; width: 11px; height: 11px; border-radius: 2px; margin-right: 4px; vertical-align: -1px; }
  .bar { height: 14px; background: #e3e7ec; border-radius: 7px; overflow: hidden; margin: 8px 0; }
  .bar > div { height: 100%; background: #3fae49; width: 0; }
  table { border-collapse: collapse; font-size: 14px; }
  td, th { padding: 2px 12px 2px 0; text-align: left; }
  ol.timeline { list-style: none; padding: 0; margin: 0; display: flex; flex-wrap: wrap; gap: 4px; }
  ol.timeline li { font-size: 12px; padding: 3px 8px; border-radius: 3px; background: #eef0f3; color: #8a8f98; }
  ol.timeline li.done { background: #d5f0d8; color: #1d232b; }
  ol.timeline li.current { background: #1f9bd1; color: #fff; font-weight: 600; }
  pre { background: #f0f2f5; padding: 6px 8px; font-size: 12px; white-space: pre-wrap; margin: 4px 0 10px; }
  button { font-size: 14px; padding: 5px 14px; margin-right: 8px; cursor: pointer; }
  button:disabled { cursor: not-allowed; }
  input[type=text] { font-size: 14px; padding: 4px 6px; width: 260px; }
  .muted { color: #6b7480; font-size: 13px; }
`;

const SCRIPT = `
const CATEGORIES = ${JSON.stringify(NODE_CATEGORIES)};
const PHASES = ${JSON.stringify(PHASES)};
const token = new URLSearchParams(location.search).get('token');
const withToken = (path) => token ? path + '?token=' + encodeURIComponent(token) : path;
const $ = (id) => document.getElementById(id);
let view;

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}
function duration(ms) {
  if (ms === undefined || ms === null) return '';
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return s + ' s';
  const m = Math.floor(s / 60);
  if (m < 60) return m + ' min ' + (s % 60) + ' s';
  return Math.floor(m / 60) + ' h ' + (m % 60) + ' min';
}
function show(id, text) { const e = $(id); e.hidden = !text; e.textContent = text || ''; }

function render(v) {
  view = v;
  const p = v.progress;
  $('title').textContent = v.workflowId;
  const status = v.ended ? (v.outcome ? v.outcome.status : (v.status || '').toLowerCase()) :
    p ? p.phase : v.problem ? 'no answer yet' : 'connecting';
  const badge = $('status');
  badge.textContent = status;
  badge.className = 'badge ' + (!v.ended ? 'live' : v.outcome && v.outcome.status === 'succeeded' ? 'ok' : 'bad');
  show('outcome', v.ended && v.outcome ? 'Ended: ' + v.outcome.message : '');
  show('problem', v.problem);
  $('refreshed').textContent = 'updated ' + new Date(v.refreshedAt).toLocaleTimeString();
  renderNodes(v);
  if (p) { renderTasks(v, p); renderFailures(p); renderTimeline(p); }
  renderCost(v);
  renderActions(v);
}

function renderNodes(v) {
  const nodes = v.nodes || [];
  const map = $('heatmap');
  map.replaceChildren(...nodes.map((n) => {
    const c = CATEGORIES[n.category];
    const d = el('div', undefined, 'node');
    d.style.background = c.css;
    d.dataset.state = n.state;
    d.dataset.id = n.id;
    d.title = n.id + ' — ' + n.state + (n.dedicated ? ' (dedicated)' : ' (low priority)') +
      (n.runningTasks.length ? '\\nrunning: ' + n.runningTasks.join(', ') : '');
    return d;
  }));
  const counts = {};
  for (const n of nodes) counts[n.category] = (counts[n.category] || 0) + 1;
  $('node-count').textContent = nodes.length + ' node' + (nodes.length === 1 ? '' : 's') +
    (v.progress ? ' in pool ' + v.progress.pool.id : '') +
    (!v.ended && v.progress && v.progress.pool.allocationState ? ' (' + v.progress.pool.allocationState + ')' : '');
  $('legend').replaceChildren(...Object.entries(CATEGORIES).filter(([k]) => counts[k]).map(([k, c]) => {
    const s = el('span', counts[k] + ' ' + c.label);
    s.dataset.category = k;
    const i = el('i'); i.style.background = c.css; s.prepend(i);
    return s;
  }));
  show('nodes-note', v.nodesNote);
}

function renderTasks(v, p) {
  const c = p.tasks.counts, total = p.tasks.total;
  const rows = [['tasks', total], ['waiting', c.active], ['running', c.running], ['succeeded', c.succeeded], ['failed', c.failed], ['completed', c.completed]];
  $('counts').replaceChildren(el('tr'), el('tr'));
  const [head, body] = $('counts').children;
  for (const [k, n] of rows) { head.append(el('th', k)); const td = el('td', String(n)); td.dataset.count = k; body.append(td); }
  $('bar').style.width = (total ? (100 * c.completed / total) : 0) + '%';
  $('eta').textContent = v.etaMs !== undefined ? 'about ' + duration(v.etaMs) + ' left' :
    (total && c.completed === total ? 'all tasks completed' : '');
  $('files').textContent = p.files ? p.files + ' files · ' : '';
}

function renderFailures(p) {
  const list = $('failures');
  list.replaceChildren();
  $('failures-section').hidden = p.failures.length === 0;
  for (const f of p.failures) {
    list.append(el('div', f.taskId + ' (' + f.inputBlob + '): exit ' + (f.exitCode ?? '-') +
      (f.failureCode ? ', ' + f.failureCode : '') + (f.failureMessage ? ': ' + f.failureMessage : '')));
    if (f.stderrTail) list.append(el('pre', f.stderrTail.trimEnd().split('\\n').slice(-8).join('\\n')));
  }
}

function renderTimeline(p) {
  $('timeline').replaceChildren(...PHASES.map((phase) => {
    const ms = p.phaseMs[phase];
    const li = el('li', phase + (ms ? ' ' + duration(ms) : ''));
    // Runs skip phases (no download asked, no decision needed): only those passed are marked.
    li.className = phase === p.phase && p.status === 'running' ? 'current' : ms !== undefined ? 'done' : '';
    return li;
  }));
}

function renderCost(v) {
  $('cost-section').hidden = !v.usage;
  $('cost').textContent = v.usage || '';
}

function renderActions(v) {
  const p = v.progress;
  const closed = v.ended || !p || p.status !== 'running';
  for (const id of ['approve', 'cancel', 'keep-job', 'keep-pool', 'reason']) $(id).disabled = closed;
  const waiting = p && p.phase === 'awaiting-cleanup-decision';
  $('decision').textContent = v.ended ? 'The run has ended: nothing to send.' :
    waiting ? 'The run waits for this decision until ' + (p.cleanup.decisionDeadline || 'its deadline') + '.' :
    p && p.cleanup.decision ? 'Decided: ' + JSON.stringify(p.cleanup.decision) :
    !p ? 'The buttons wait for the run’s progress.' :
    'Policy ' + p.cleanup.policy + ': a decision sent now applies when the run gets there.';
}

async function post(path, body) {
  $('answer').textContent = 'sending…';
  try {
    const res = await fetch(withToken(path), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const answer = await res.json();
    $('answer').textContent = res.ok ? answer.message : 'Refused: ' + answer.error;
  } catch (err) {
    $('answer').textContent = 'Not sent: ' + err.message;
  }
}

$('approve').onclick = () => post('/api/approve-cleanup', { keepJob: $('keep-job').checked, keepPool: $('keep-pool').checked });
$('cancel').onclick = () => post('/api/cancel', { reason: $('reason').value });

const events = new EventSource(withToken('/events'));
events.onmessage = (e) => { show('connection', ''); render(JSON.parse(e.data)); };
events.onerror = () => show('connection', 'Lost the connection to the watch command; retrying…');
`;

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>durable-batch · live run</title>
<style>${STYLE}</style>
</head>
<body>
<h1><span id="title">…</span> <span id="status" class="badge">connecting</span></h1>
<div class="muted"><span id="files"></span> <span id="refreshed"></span></div>
<div id="connection" hidden></div>
<div id="problem" role="alert" hidden></div>
<div id="outcome" hidden></div>
<section id="pool">
  <h2>Pool heatmap · <span id="node-count">0 nodes</span></h2>
  <div id="heatmap" aria-label="one square per node"></div>
  <div id="legend" class="legend"></div>
  <div id="nodes-note" class="muted" hidden></div>
</section>
<div class="row">
  <section>
    <h2>Tasks</h2>
    <table id="counts"></table>
    <div class="bar"><div id="bar"></div></div>
    <div id="eta" class="muted"></div>
  </section>
  <section>
    <h2>Cleanup and cancel</h2>
    <div id="decision" class="muted"></div>
    <p><label><input type="checkbox" id="keep-job"> keep the job</label>
       <label><input type="checkbox" id="keep-pool"> keep the pool</label></p>
    <p><button id="approve" disabled>Approve cleanup</button></p>
    <p><input type="text" id="reason" placeholder="why cancel" disabled>
       <button id="cancel" disabled>Cancel the run</button></p>
    <div id="answer" class="muted" aria-live="polite"></div>
  </section>
</div>
<section id="cost-section" hidden><h2>Node time and cost</h2><div id="cost"></div></section>
<section id="failures-section" hidden><h2>Failed tasks</h2><div id="failures"></div></section>
<section><h2>Phases</h2><ol id="timeline" class="timeline"></ol></section>
<script>${SCRIPT}</script>
</body>
</html>
`;
