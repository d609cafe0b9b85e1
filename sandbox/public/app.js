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

function render(data) {
  const atBottom = chat.scrollHeight - chat.scrollTop - chat.clientHeight < 60;
  chat.replaceChildren();
  for (const m of data.messages) {
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
    }
    if (m.text) box.append(el('div', '', m.text));
    if (m.buttons.length > 0) {
      const kb = el('div', 'keyboard');
      for (const row of m.buttons) {
        const r = el('div', 'row');
        for (const b of row) {
          if (b.url) {
            const a = el('a', '', `${b.text} ↗`);
            a.href = b.url;
            a.target = '_blank';
            r.append(a);
          } else {
            const btn = el('button', '', b.text);
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
  if (atBottom) chat.scrollTop = chat.scrollHeight;
}

async function refresh() {
  try {
    const data = await api(`/_sim/chats/${userId()}/messages`);
    const json = JSON.stringify(data.messages) + JSON.stringify(data.callbackAnswers);
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
