// Sandbox control panel: polls /_control/state and posts changes to /_control/*.
const $ = (id) => document.getElementById(id);
const POLL_MS = 1500;
const FIELDS = [
  ['refusal', 'Content refusals (%)'],
  ['noCredits', '402 (%)'],
  ['rateLimit', '429 (%)'],
  ['serverError', '5xx (%)'],
  ['lostCallback', 'Lost callbacks (%)'],
  ['duplicateCallback', 'Duplicate callbacks (%)'],
];
/** Inputs the user changed since the last update: polling must not overwrite what is being typed. */
const dirty = new WeakSet();
document.addEventListener('input', (e) => {
  if (e.target instanceof HTMLInputElement) dirty.add(e.target);
});

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') e.textContent = v;
    else if (k === 'class') e.className = v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  e.append(...children);
  return e;
}

function status(text, isError = false) {
  const s = $('status');
  s.textContent = text;
  s.classList.toggle('error', isError);
}

async function post(path, body) {
  const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(json.error || res.statusText);
  return json;
}

/** Shows a value in an input unless the user is editing it. */
function show(input, value) {
  if (document.activeElement === input || dirty.has(input)) return;
  input.value = value === undefined || value === null ? '' : String(value);
}

const num = (input) => (input.value.trim() === '' ? null : Number(input.value));
const time = (iso) => (iso ? new Date(iso).toLocaleTimeString() : '—');
const cell = (text) => el('td', { text: text === undefined || text === null ? '—' : String(text) });
function fill(tbody, rows) {
  tbody.replaceChildren(...rows);
}

async function apply(body, inputs) {
  try {
    await post('/_control/kie', body);
    for (const i of inputs) dirty.delete(i);
    status(`Applied (${body.scope === 'all' ? 'all accounts' : body.scope.account ? `account ${body.scope.account}` : `key ${body.scope.key}`})`);
    await refresh();
  } catch (err) {
    status(`Not applied: ${err.message}`, true);
  }
}

// ---- KIE: all accounts ----
$('kie-all').addEventListener('submit', (e) => {
  e.preventDefault();
  const f = e.currentTarget;
  const latency = num(f.elements.latency);
  const body = { scope: 'all', latencyMaxSeconds: num(f.elements.latencyMax), percent: {} };
  if (latency !== null) body.latencySeconds = latency;
  for (const [name] of FIELDS) body.percent[name] = num(f.elements[name]);
  void apply(body, [...f.querySelectorAll('input')]);
});

// ---- KIE: per account and key rows, built once per set of scopes ----
let scopesShape = '';
const scopeInputs = new Map();

function scopeRow(kind, name, label) {
  const inputs = {};
  const tr = el('tr', { class: kind }, el('th', { scope: 'row', text: label }));
  for (const [field, title] of FIELDS) {
    const input = el('input', { type: 'number', min: 0, max: 100, step: 'any', inputmode: 'decimal', 'aria-label': `${title} for ${kind} ${name}` });
    inputs[field] = input;
    tr.append(el('td', {}, input));
  }
  const button = el('button', { type: 'button', text: 'Apply', 'aria-label': `Apply for ${kind} ${name}` });
  button.addEventListener('click', () => {
    const percent = Object.fromEntries(FIELDS.map(([f]) => [f, num(inputs[f])]));
    void apply({ scope: { [kind]: name }, percent }, Object.values(inputs));
  });
  tr.append(el('td', {}, button));
  scopeInputs.set(`${kind}:${name}`, inputs);
  return tr;
}

function renderKie(kie) {
  const all = $('kie-all').elements;
  show(all.latency, kie.latencyMs / 1000);
  show(all.latencyMax, kie.latencyMaxMs === null ? null : kie.latencyMaxMs / 1000);
  for (const [f] of FIELDS) show(all[f], kie.global[f]);

  const shape = JSON.stringify(kie.accounts.map((a) => [a.name, a.keys.map((k) => k.name)]));
  if (shape !== scopesShape) {
    scopesShape = shape;
    scopeInputs.clear();
    const rows = [];
    for (const a of kie.accounts) {
      rows.push(scopeRow('account', a.name, `Account ${a.name}`));
      for (const k of a.keys) rows.push(scopeRow('key', k.name, `Key ${k.name}`));
    }
    fill($('kie-scopes').tBodies[0], rows);
  }
  const counters = [];
  for (const a of kie.accounts) {
    const setRow = (kind, name, item) => {
      const inputs = scopeInputs.get(`${kind}:${name}`);
      for (const [f] of FIELDS) {
        show(inputs[f], item.overrides[f]);
        inputs[f].placeholder = `${item.effective[f]}`;
      }
    };
    setRow('account', a.name, a);
    const sum = (pick) => a.keys.reduce((n, k) => n + pick(k), 0);
    counters.push(
      el('tr', { class: 'account' },
        el('th', { scope: 'row', text: `Account ${a.name}` }),
        cell(sum((k) => k.requests.createTask)), cell(a.stats.created), cell(sum((k) => k.outcomes.refused)),
        cell(a.stats.noCredits), cell(a.stats.rateLimited), cell(sum((k) => k.outcomes.serverErrors)), cell(sum((k) => k.outcomes.otherErrors)),
        cell(sum((k) => k.outcomes.lostCallbacks)), cell(sum((k) => k.outcomes.duplicateCallbacks)), cell(a.stats.credits)),
    );
    for (const k of a.keys) {
      setRow('key', k.name, k);
      const o = k.outcomes;
      counters.push(
        el('tr', { class: 'key' },
          el('th', { scope: 'row', text: `Key ${k.name}` }),
          cell(k.requests.createTask), cell(o.created), cell(o.refused), cell(o.noCredits), cell(o.rateLimited), cell(o.serverErrors), cell(o.otherErrors),
          cell(o.lostCallbacks), cell(o.duplicateCallbacks), cell('')),
      );
    }
  }
  fill($('kie-counters').tBodies[0], counters);
  renderModels(kie.models);
}

// ---- KIE models ----
let modelsShape = '';
function renderModels(models) {
  const shape = models.map((m) => m.id).join(',');
  if (shape !== modelsShape) {
    modelsShape = shape;
    fill($('models'), models.map((m) => {
      const box = el('input', { type: 'checkbox', id: `model-${m.id}`, 'data-model': m.id, 'aria-label': `Withdraw ${m.id}` });
      box.addEventListener('change', async () => {
        try {
          await post(`/_control/kie/models/${encodeURIComponent(m.id)}`, { withdrawn: box.checked });
          status(`Applied: ${m.id} ${box.checked ? 'withdrawn' : 'restored'}`);
        } catch (err) {
          box.checked = !box.checked;
          status(`Not applied: ${err.message}`, true);
        }
      });
      return el('li', {}, box, el('label', { for: `model-${m.id}` }, 'Withdraw ', el('code', { text: m.id })), el('span', { class: 'family', text: ` ${m.family}` }));
    }));
  }
  for (const m of models) {
    const box = document.querySelector(`input[data-model="${CSS.escape(m.id)}"]`);
    if (box && document.activeElement !== box) box.checked = m.withdrawn;
    box?.closest('li')?.classList.toggle('withdrawn', m.withdrawn);
  }
}

// ---- Telegram ----
$('tg-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const throttle = $('tg-throttle');
  const blocked = $('tg-blocked');
  try {
    await post('/_control/telegram', { throttlePercent: num(throttle) ?? 0, blockedPercent: num(blocked) ?? 0 });
    dirty.delete(throttle);
    dirty.delete(blocked);
    status('Applied (Telegram)');
    await refresh();
  } catch (err) {
    status(`Not applied: ${err.message}`, true);
  }
});
$('tg-block').addEventListener('submit', async (e) => {
  e.preventDefault();
  const blocked = e.submitter?.value !== 'false';
  const userId = Number($('tg-user').value);
  try {
    await post('/_control/telegram', { block: { userId, blocked } });
    status(`Applied: user ${userId} ${blocked ? 'blocked' : 'unblocked'} the bot`);
    await refresh();
  } catch (err) {
    status(`Not applied: ${err.message}`, true);
  }
});

function renderTelegram(tg) {
  show($('tg-throttle'), tg.throttlePercent);
  show($('tg-blocked'), tg.blockedPercent);
  $('tg-summary').textContent =
    `Sends and edits: ${tg.sends}; answered 429: ${tg.throttled}; 403: ${tg.blocked}; 5xx: ${tg.failed}. ` +
    `Users who blocked the bot: ${tg.blockedUsers.length > 0 ? tg.blockedUsers.join(', ') : 'none'}.`;
}

// ---- dispatcher and JetStream ----
function renderDispatcher(d) {
  $('disp-error').hidden = d.ok;
  if (!d.ok) {
    $('disp-error').textContent = d.error;
    $('disp-queue').textContent = '';
    for (const id of ['disp-accounts', 'disp-keys', 'disp-models']) fill($(id).tBodies[0], []);
    return;
  }
  const s = d.stats;
  $('disp-queue').textContent = `Queue depth: ${s.queueDepth}`;
  fill($('disp-accounts').tBodies[0], s.accounts.map((a) =>
    el('tr', {}, el('th', { scope: 'row', text: a.name }), cell(a.state), cell(time(a.until)), cell(`${a.budgetUsed} / ${a.budgetLimit}`),
      cell(`${a.inFlight} / ${a.maxInFlight}`), cell(a.credits), cell(time(a.creditsCheckedAt)))));
  fill($('disp-keys').tBodies[0], s.keys.map((k) =>
    el('tr', {}, el('th', { scope: 'row', text: `${k.account}/${k.name}` }), cell(k.state), cell(time(k.until)), cell(k.inFlight), cell(k.reason))));
  fill($('disp-models').tBodies[0], s.models.map((m) =>
    el('tr', {}, el('th', { scope: 'row', text: m.id }), cell(m.offered ? 'yes' : 'no'), cell(m.disabledBy), cell(m.unavailableOn.join(', ') || '—'))));
}

function renderJetStream(js) {
  $('js-error').hidden = js.ok;
  if (!js.ok) {
    $('js-error').textContent = js.error;
    fill($('js-consumers').tBodies[0], []);
    return;
  }
  const rows = [];
  for (const s of js.streams) {
    if (s.consumers.length === 0) rows.push(el('tr', {}, el('th', { scope: 'row', text: s.name }), el('td', { colspan: 8, text: `no consumers (${s.messages} messages)` })));
    for (const c of s.consumers) {
      rows.push(el('tr', { class: c.numPending + c.numAckPending > 0 ? 'busy' : undefined },
        el('th', { scope: 'row', text: s.name }), cell(c.name), cell(c.numPending), cell(c.numAckPending), cell(c.numRedelivered), cell(c.lag), cell(c.seqGap),
        cell(time(c.lastDelivered)), cell(time(c.lastAcked))));
    }
  }
  fill($('js-consumers').tBodies[0], rows);
}

async function refresh() {
  try {
    const res = await fetch('/_control/state', { cache: 'no-store' });
    if (!res.ok) throw new Error(res.statusText);
    const s = await res.json();
    if (s.kie) renderKie(s.kie);
    if (s.telegram) renderTelegram(s.telegram);
    renderDispatcher(s.dispatcher);
    renderJetStream(s.jetstream);
    $('updated').textContent = `Updated ${time(s.at)}`;
  } catch (err) {
    $('updated').textContent = `Simulator not answering (${err.message}); retrying…`;
  }
}

async function loop() {
  await refresh();
  setTimeout(loop, POLL_MS);
}
void loop();
