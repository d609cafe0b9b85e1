// Web chat for the Telegram simulator: talks to the sim's /_sim/ control API.
const $ = (id) => document.getElementById(id);
const chat = $('chat');
let lastJson = '';
let seenAnswers = 0;

const userId = () => Number($('user-id').value) || 1001;
const who = () => ({ firstName: $('first-name').value || undefined, languageCode: $('lang').value });

async function api(path, body) {
  const res = await fetch(path, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = await res.json();
  if (!res.ok) throw new Error(json.error || res.statusText);
  return json;
}

function status(text) {
  $('status').textContent = text;
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

const stars = (n) => `${n} ⭐`;
/** Invoices with a payment in flight (the bot has up to 10 s to confirm): their Pay button stays disabled. */
const paying = new Set();
const botName = () => $('bot-name').textContent || 'the bot';

// Payments in Telegram Stars: an invoice card with a Pay button, and the service lines Telegram
// shows for a payment and a refund.
function invoiceCard(m) {
  const inv = m.invoice;
  const card = el('div', 'invoice');
  card.append(el('div', 'invoice-title', inv.title));
  card.append(el('div', 'invoice-desc', inv.description));
  card.append(el('div', 'invoice-price', inv.currency === 'XTR' ? stars(inv.totalAmount) : `${inv.totalAmount} ${inv.currency}`));
  const payButton = m.buttons[0]?.[0]?.pay ? m.buttons[0][0] : undefined;
  const btn = el('button', 'pay', inv.paid ? 'Receipt: paid ✓' : (payButton?.text || `Pay ${stars(inv.totalAmount)}`));
  btn.type = 'button';
  btn.dataset.key = `pay:${m.messageId}`;
  btn.disabled = inv.paid || paying.has(m.messageId);
  if (paying.has(m.messageId)) btn.setAttribute('aria-busy', 'true');
  btn.setAttribute('aria-label', inv.paid ? `${inv.title}: paid` : `Pay ${inv.totalAmount} Stars for ${inv.title}`);
  btn.onclick = () => pay(m.messageId, btn);
  card.append(btn);
  if (inv.refusal) {
    const err = el('div', 'invoice-error', `Payment declined: ${inv.refusal}`);
    err.setAttribute('role', 'alert');
    card.append(err);
  }
  return card;
}

function serviceLine(m) {
  if (m.kind === 'payment') {
    return el('div', 'service', `You paid ${stars(m.payment.totalAmount)} to ${botName()}${m.payment.refunded ? ' · refunded' : ''}`);
  }
  return el('div', 'service', `${botName()} refunded ${stars(m.refund.totalAmount)} to you`);
}

function render(data) {
  const atBottom = chat.scrollHeight - chat.scrollTop - chat.clientHeight < 60;
  // Re-rendering replaces the buttons: keep the keyboard focus where it was.
  const focusKey = document.activeElement?.dataset?.key;
  chat.replaceChildren();
  $('stars').textContent = data.stars === undefined ? '' : `⭐ ${data.stars}`;
  for (const m of data.messages) {
    if (m.kind === 'payment' || m.kind === 'refund') {
      chat.append(serviceLine(m));
      continue;
    }
    const box = el('div', `msg ${m.from}`);
    if (m.kind === 'video' && m.fileUrl) {
      const v = el('video');
      v.src = m.fileUrl;
      v.controls = true;
      v.loop = true;
      v.muted = true;
      v.playsInline = true;
      box.append(v);
    } else if (m.kind === 'photo' && m.fileUrl) {
      const img = el('img');
      img.src = m.fileUrl;
      box.append(img);
    } else if (m.kind === 'document' && m.fileUrl) {
      const a = el('a', '', `📄 ${m.fileName || 'file'} (${Math.round((m.sizeBytes || 0) / 1024)} KB)`);
      a.href = m.fileUrl;
      a.target = '_blank';
      box.append(a);
    } else if (m.kind === 'sticker') {
      box.append(el('div', '', '👍 (sticker)'));
    } else if (m.kind === 'invoice') {
      box.append(invoiceCard(m));
    }
    if (m.text) box.append(el('div', '', m.text));
    const rows = m.buttons.map((row) => row.filter((b) => !b.pay)).filter((row) => row.length > 0);
    if (rows.length > 0) {
      const kb = el('div', 'keyboard');
      for (const row of rows) {
        const r = el('div', 'row');
        for (const b of row) {
          if (b.url) {
            const a = el('a', '', `${b.text} ↗`);
            a.href = b.url;
            a.target = '_blank';
            r.append(a);
          } else {
            const btn = el('button', '', b.text);
            btn.type = 'button';
            btn.dataset.key = `cb:${m.messageId}:${b.callback_data}`;
            btn.onclick = () => press(m.messageId, b.callback_data);
            r.append(btn);
          }
        }
        kb.append(r);
      }
      box.append(kb);
    }
    const time = new Date(m.date * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    box.append(el('div', 'meta', `${m.edited ? 'edited · ' : ''}#${m.messageId} · ${time}`));
    chat.append(box);
  }
  const answers = data.callbackAnswers.filter((a) => a.text);
  for (const a of answers.slice(seenAnswers)) status(`🔔 ${a.text}`);
  seenAnswers = answers.length;
  if (focusKey) chat.querySelector(`[data-key="${CSS.escape(focusKey)}"]`)?.focus();
  if (atBottom) chat.scrollTop = chat.scrollHeight;
}

async function refresh() {
  try {
    const data = await api(`/_sim/chats/${userId()}/messages`);
    const json = JSON.stringify(data.messages) + JSON.stringify(data.callbackAnswers) + data.stars;
    if (json !== lastJson) {
      lastJson = json;
      render(data);
    }
    if (data.action) status(`bot is ${data.action.replace('_', ' ')}…`);
  } catch (e) {
    status(`⚠ ${e.message}`);
  }
}

async function press(messageId, data) {
  try {
    await api(`/_sim/users/${userId()}/press`, { ...who(), messageId, data });
    status('');
  } catch (e) {
    status(`⚠ ${e.message}`);
  }
  void refresh();
}

async function pay(messageId, btn) {
  if (paying.has(messageId)) return;
  paying.add(messageId);
  btn.disabled = true;
  btn.setAttribute('aria-busy', 'true');
  status('⏳ Paying… waiting for the bot to confirm');
  try {
    const r = await api(`/_sim/users/${userId()}/pay`, { ...who(), messageId });
    if (r.status === 'paid') status(`✓ Paid ${stars(r.totalAmount)} · balance ⭐ ${r.balance}`);
    else status(`⚠ Payment failed: ${r.errorMessage}`);
  } catch (e) {
    status(`⚠ ${e.message}`);
  }
  paying.delete(messageId);
  lastJson = '';
  await refresh();
}

function toBase64(file) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result).split(',')[1]);
    r.onerror = reject;
    r.readAsDataURL(file);
  });
}

$('composer').onsubmit = async (ev) => {
  ev.preventDefault();
  const text = $('text').value;
  const file = $('photo').files[0];
  const body = { ...who() };
  if (text) body.text = text;
  if (file) {
    const b64 = await toBase64(file);
    if ($('as-doc').checked) body.document = { base64: b64, fileName: file.name, mimeType: file.type || 'application/octet-stream' };
    else body.photoBase64 = b64;
  }
  if (!body.text && !file) return;
  try {
    await api(`/_sim/users/${userId()}/messages`, body);
    $('text').value = '';
    $('photo').value = '';
    status('');
  } catch (e) {
    status(`⚠ ${e.message}`);
  }
  void refresh();
};
$('photo').onchange = () => status($('photo').files[0] ? `📎 ${$('photo').files[0].name} — press Send` : '');
$('sticker').onclick = async () => {
  await api(`/_sim/users/${userId()}/messages`, { ...who(), sticker: true }).catch((e) => status(`⚠ ${e.message}`));
  void refresh();
};
$('user-id').onchange = () => {
  lastJson = '';
  seenAnswers = 0;
  void refresh();
};

api('/_sim/info').then((info) => {
  $('bot-name').textContent = `@${info.bot.username}`;
  $('bot-mode').textContent = info.mode;
}).catch(() => {});
setInterval(refresh, 800);
void refresh();
