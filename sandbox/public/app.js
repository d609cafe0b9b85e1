// Web chat for the Telegram simulator: one pane per simulated user, each talking to the sim's
// /_sim/ JSON API (sandbox/src/telegram/control.ts). Messages are updated in place when the bot
// edits them, so a draft built step by step in one message stays one message here too.
'use strict';

const $ = (id) => document.getElementById(id);
const STORE = 'neurocards-sim-chat';
const POLL_MS = 700;
/** A pressed keyboard stays disabled until the message changes; if the bot only answers the query (no edit, no new message), it comes back after this. */
const ANSWERED_ENABLE_MS = 4000;
const DEFAULT_USERS = [1001, 1002];
const narrow = window.matchMedia('(max-width: 759px)');

async function api(path, body) {
  const init = body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
  const res = await fetch(path, init);
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(json.error || res.statusText);
  return json;
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function button(text, cls, onClick) {
  const b = el('button', cls, text);
  b.type = 'button';
  if (onClick) b.addEventListener('click', onClick);
  return b;
}

const starsText = (n) => `⭐${n.toLocaleString('en-US')}`;
const botName = () => $('bot-name').textContent || 'the bot';

function toBase64(file) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result).split(',')[1]);
    r.onerror = reject;
    r.readAsDataURL(file);
  });
}

// ---- saved settings: which users are open, and each one's name and language ----

function loadSettings() {
  try {
    const s = JSON.parse(localStorage.getItem(STORE) || '{}');
    if (Array.isArray(s.users) && s.users.length > 0) return s;
  } catch {
    /* a fresh start */
  }
  return { users: DEFAULT_USERS.map((id) => ({ id })), active: DEFAULT_USERS[0] };
}
const settings = loadSettings();
function saveSettings() {
  settings.users = [...panes.values()].map((p) => ({ id: p.userId, firstName: p.firstName.value, lang: p.lang.value }));
  settings.active = activeUser;
  try {
    localStorage.setItem(STORE, JSON.stringify(settings));
  } catch {
    /* private mode: not remembered */
  }
}

// ---- one chat pane per user ----

/** @type {Map<number, Pane>} */
const panes = new Map();
let activeUser = settings.active;

class Pane {
  constructor(userId, saved = {}) {
    this.userId = userId;
    this.root = $('pane-template').content.firstElementChild.cloneNode(true);
    const q = (cls) => this.root.querySelector(`.${cls}`);
    const pid = `u${userId}`;
    this.root.dataset.user = String(userId);
    this.root.id = `${pid}-pane`;
    this.root.setAttribute('aria-labelledby', `${pid}-title`);
    const title = q('pane-title');
    title.id = `${pid}-title`;
    title.textContent = `User ${userId}`;
    this.log = q('log');
    this.log.setAttribute('aria-label', `Messages with the bot (user ${userId})`);
    this.stars = q('stars');
    this.typing = q('typing');
    this.status = q('status');
    this.alertBox = q('alert-box');
    this.menu = q('menu');
    this.menu.id = `${pid}-menu`;
    this.menuList = q('menu-list');
    this.menuButton = q('menu-button');
    this.menuButton.setAttribute('aria-controls', this.menu.id);
    this.firstName = q('first-name');
    this.firstName.value = saved.firstName ?? 'Seller';
    this.lang = q('lang');
    this.lang.value = saved.lang ?? 'ru';
    this.photo = q('photo');
    this.photo.id = `${pid}-photo`;
    this.text = q('text');
    this.text.id = `${pid}-text`;
    q('text-label').htmlFor = this.text.id;
    this.asDoc = q('as-doc-box');
    this.attachment = q('attachment');
    q('close-pane').setAttribute('aria-label', `Close the chat of user ${userId}`);
    q('close-pane').addEventListener('click', () => closePane(userId));

    /** messageId → { node, parts, sigs } of the messages on screen. */
    this.nodes = new Map();
    /** messageId → { sig, queryId, answeredAt } of keyboards waiting for the bot after a press. */
    this.pressed = new Map();
    /** Invoices with a payment in flight (the bot has up to 10 s to confirm): their Pay button stays disabled. */
    this.paying = new Set();
    this.seenAnswers = new Set();
    this.firstLoad = true;
    this.lastJson = '';
    this.data = undefined;

    this.root.querySelector('.composer').addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.send();
    });
    q('sticker').addEventListener('click', () => void this.post({ sticker: true }));
    this.photo.addEventListener('change', () => this.showAttachment());
    q('attachment-remove').addEventListener('click', () => {
      this.photo.value = '';
      this.showAttachment();
      this.text.focus();
    });
    q('alert-ok').addEventListener('click', () => {
      this.alertBox.hidden = true;
      this.text.focus();
    });
    this.menuButton.addEventListener('click', () => void this.toggleMenu());
    this.menu.addEventListener('keydown', (ev) => this.menuKeys(ev));
    this.firstName.addEventListener('change', saveSettings);
    this.lang.addEventListener('change', () => {
      saveSettings();
      if (!this.menu.hidden) void this.loadMenu();
    });
    this.root.addEventListener('focusin', () => setActive(userId, false));
  }

  who() {
    return { firstName: this.firstName.value || undefined, languageCode: this.lang.value };
  }

  say(text) {
    this.status.textContent = text;
  }

  showAttachment() {
    const file = this.photo.files[0];
    this.attachment.hidden = !file;
    this.root.querySelector('.attachment-name').textContent = file ? `📎 ${file.name}` : '';
  }

  async post(body) {
    try {
      await api(`/_sim/users/${this.userId}/messages`, { ...this.who(), ...body });
      this.say('');
      return true;
    } catch (e) {
      this.say(`⚠ ${e.message}`);
      return false;
    } finally {
      void this.refresh();
    }
  }

  async send() {
    const text = this.text.value;
    const file = this.photo.files[0];
    const body = {};
    if (text) body.text = text;
    if (file) {
      const b64 = await toBase64(file);
      if (this.asDoc.checked) body.document = { base64: b64, fileName: file.name, mimeType: file.type || 'application/octet-stream' };
      else body.photoBase64 = b64;
    }
    if (!body.text && !file) return;
    if (await this.post(body)) {
      this.text.value = '';
      this.photo.value = '';
      this.asDoc.checked = false;
      this.showAttachment();
    }
  }

  // ---- the bot's command menu ----

  async toggleMenu(open = this.menu.hidden) {
    this.menu.hidden = !open;
    this.menuButton.setAttribute('aria-expanded', String(open));
    if (open) {
      await this.loadMenu();
      this.menuList.querySelector('button')?.focus();
    }
  }

  closeMenu(focusButton) {
    if (this.menu.hidden) return;
    this.menu.hidden = true;
    this.menuButton.setAttribute('aria-expanded', 'false');
    if (focusButton) this.menuButton.focus();
  }

  async loadMenu() {
    try {
      const menu = await api(`/_sim/users/${this.userId}/commands?languageCode=${encodeURIComponent(this.lang.value)}`);
      const items = menu.commands.map((c) => {
        const li = el('li');
        const b = button('', 'menu-item', () => {
          this.closeMenu(false);
          this.text.focus();
          void this.post({ text: `/${c.command}` });
        });
        b.append(el('span', 'menu-command', `/${c.command}`), el('span', 'menu-desc', c.description));
        li.append(b);
        return li;
      });
      if (items.length === 0) items.push(el('li', 'menu-empty', 'The bot has set no commands yet.'));
      this.menuList.replaceChildren(...items);
    } catch (e) {
      this.menuList.replaceChildren(el('li', 'menu-empty', `⚠ ${e.message}`));
    }
  }

  menuKeys(ev) {
    const items = [...this.menuList.querySelectorAll('button')];
    const at = items.indexOf(document.activeElement);
    if (ev.key === 'Escape') {
      ev.preventDefault();
      this.closeMenu(true);
    } else if ((ev.key === 'ArrowDown' || ev.key === 'ArrowUp') && items.length > 0) {
      ev.preventDefault();
      const next = ev.key === 'ArrowDown' ? (at + 1) % items.length : (at - 1 + items.length) % items.length;
      items[next].focus();
    }
  }

  // ---- the chat ----

  async refresh() {
    try {
      const data = await api(`/_sim/chats/${this.userId}/messages`);
      const json = JSON.stringify([data.messages, data.callbackAnswers, data.stars]);
      if (json !== this.lastJson) {
        this.lastJson = json;
        this.render(data);
      }
      this.typing.textContent = data.action ? `${botName()} is ${data.action.replace(/_/g, ' ')}…` : '';
      this.expirePresses();
    } catch (e) {
      this.say(`⚠ ${e.message}`);
    }
  }

  render(data) {
    this.data = data;
    const atBottom = this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 80;
    this.stars.textContent = data.stars === undefined ? '' : starsText(data.stars);
    this.stars.setAttribute('aria-label', data.stars === undefined ? '' : `Stars balance: ${data.stars}`);
    const ids = new Set();
    for (const m of data.messages) {
      ids.add(m.messageId);
      let item = this.nodes.get(m.messageId);
      if (item === undefined) {
        item = this.createNode(m);
        this.nodes.set(m.messageId, item);
        this.log.append(item.node);
      }
      this.updateNode(item, m);
    }
    for (const [id, item] of this.nodes) {
      if (!ids.has(id)) {
        item.node.remove();
        this.nodes.delete(id);
      }
    }
    this.showAnswers(data.callbackAnswers);
    if (atBottom || this.firstLoad) this.scrollToEnd();
    this.firstLoad = false;
  }

  scrollToEnd() {
    this.log.scrollTop = this.log.scrollHeight;
  }

  showAnswers(answers) {
    for (const a of answers) {
      if (this.seenAnswers.has(a.callbackQueryId)) continue;
      this.seenAnswers.add(a.callbackQueryId);
      for (const p of this.pressed.values()) if (p.queryId === a.callbackQueryId) p.answeredAt = Date.now();
      if (this.firstLoad || !a.text) continue;
      if (a.showAlert) {
        this.alertBox.querySelector('.alert-text').textContent = a.text;
        this.alertBox.hidden = false;
        this.alertBox.querySelector('.alert-ok').focus();
      } else {
        this.say(`🔔 ${a.text}`);
      }
    }
  }

  createNode(m) {
    const service = m.kind === 'payment' || m.kind === 'refund';
    const node = el('div', service ? 'service' : `msg ${m.from}`);
    node.dataset.messageId = String(m.messageId);
    const parts = {};
    if (!service) {
      node.append(el('span', 'sr-only', m.from === 'user' ? 'You: ' : 'Bot: '));
      parts.media = el('div', 'media');
      parts.body = el('div', 'body');
      parts.keyboard = el('div', 'keyboard');
      parts.meta = el('div', 'meta');
      node.append(parts.media, parts.body, parts.keyboard, parts.meta);
    }
    return { node, parts, sigs: {} };
  }

  /** Changes only the parts that changed: a playing video or a focused button survive an edit of the text. */
  updateNode(item, m) {
    const { node, parts, sigs } = item;
    const changed = (key, value) => {
      const sig = JSON.stringify(value);
      if (sigs[key] === sig) return false;
      sigs[key] = sig;
      return true;
    };
    if (m.kind === 'payment' || m.kind === 'refund') {
      if (changed('service', [m.payment, m.refund])) node.textContent = serviceText(m);
      return;
    }
    const invoiceSig = m.kind === 'invoice' ? [m.invoice, this.paying.has(m.messageId), m.buttons] : undefined;
    if (changed('media', [m.kind, m.fileUrl, invoiceSig])) {
      parts.media.replaceChildren(...this.media(m));
    }
    if (changed('text', m.text)) parts.body.textContent = m.text;
    parts.body.hidden = !m.text;
    const keySig = [m.text, m.buttons];
    const newKeyboard = changed('keyboard', m.buttons);
    if (newKeyboard) parts.keyboard.replaceChildren(...this.keyboard(m));
    parts.keyboard.hidden = parts.keyboard.childElementCount === 0;
    node.classList.toggle('has-keyboard', !parts.keyboard.hidden);
    // Edited with a new text or keyboard: what was pressed has been handled.
    const pressed = this.pressed.get(m.messageId);
    if (pressed && pressed.sig !== JSON.stringify(keySig)) this.pressed.delete(m.messageId);
    this.applyPressed(m.messageId, item);
    // A keyboard user who pressed a button of this message goes on with its new buttons.
    if (document.activeElement === node && !this.pressed.has(m.messageId)) {
      const first = parts.keyboard.querySelector('button:not(:disabled)');
      if (first) first.focus({ preventScroll: true });
    }
    if (changed('meta', [m.edited, m.date])) {
      const time = new Date(m.date * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
      parts.meta.textContent = `${m.edited ? 'edited · ' : ''}${time}`;
      if (m.edited) flash(node);
    }
    node.classList.toggle('edited', m.edited);
  }

  media(m) {
    const out = [];
    if (m.kind === 'video' && m.fileUrl) {
      const v = el('video');
      v.src = m.fileUrl;
      v.controls = true;
      v.playsInline = true;
      v.setAttribute('playsinline', '');
      v.preload = 'auto';
      v.setAttribute('aria-label', m.text ? `Video: ${m.text}` : 'Video');
      v.addEventListener('loadedmetadata', () => {
        if (this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 400) this.scrollToEnd();
      });
      out.push(v);
    } else if (m.kind === 'photo' && m.fileUrl) {
      const img = el('img');
      img.src = m.fileUrl;
      img.alt = m.from === 'user' ? 'Photo you sent' : m.text ? `Photo: ${m.text}` : 'Photo from the bot';
      img.addEventListener('load', () => {
        if (this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 400) this.scrollToEnd();
      });
      out.push(img);
    } else if (m.kind === 'document' && m.fileUrl) {
      const a = el('a', 'document', `📄 ${m.fileName || 'file'} (${Math.max(1, Math.round((m.sizeBytes || 0) / 1024))} KB)`);
      a.href = m.fileUrl;
      a.target = '_blank';
      a.rel = 'noopener';
      out.push(a);
    } else if (m.kind === 'sticker') {
      out.push(el('div', 'sticker-msg', '👍'));
    } else if (m.kind === 'invoice') {
      out.push(this.invoiceCard(m));
    }
    return out;
  }

  keyboard(m) {
    const rows = m.buttons.map((row) => row.filter((b) => !b.pay)).filter((row) => row.length > 0);
    return rows.map((row) => {
      const r = el('div', 'row');
      for (const b of row) {
        if (b.url && b.url.startsWith('https://t.me/$')) {
          // An invoice link (createInvoiceLink): Telegram opens the payment form.
          r.append(button(b.text, 'kb', () => void this.pay({ link: b.url }, undefined)));
        } else if (b.url) {
          const a = el('a', 'kb', `${b.text} ↗`);
          a.href = b.url;
          a.target = '_blank';
          a.rel = 'noopener';
          r.append(a);
        } else if (b.callback_data !== undefined) {
          const btn = button(b.text, 'kb', () => void this.press(m, b.callback_data, btn));
          btn.dataset.data = b.callback_data;
          r.append(btn);
        } else {
          const btn = button(b.text, 'kb');
          btn.disabled = true;
          btn.title = 'This kind of button is not simulated';
          r.append(btn);
        }
      }
      return r;
    });
  }

  applyPressed(messageId, item = this.nodes.get(messageId)) {
    if (!item || !item.parts.keyboard) return;
    const pressed = this.pressed.get(messageId);
    item.parts.keyboard.classList.toggle('waiting', pressed !== undefined);
    for (const b of item.parts.keyboard.querySelectorAll('button')) {
      if (b.title === 'This kind of button is not simulated') continue;
      b.disabled = pressed !== undefined;
      if (pressed && b.dataset.data === pressed.data) b.setAttribute('aria-busy', 'true');
      else b.removeAttribute('aria-busy');
    }
  }

  /**
   * A keyboard the bot answered without editing comes back once the bot has replied with a new
   * message (a pack's invoice, a new draft), or a few seconds after the answer, so the seller is never stuck.
   */
  expirePresses() {
    const newest = Math.max(0, ...this.nodes.keys());
    for (const [id, p] of this.pressed) {
      const answered = p.answeredAt !== undefined;
      if (answered && (newest > p.lastId || Date.now() - p.answeredAt > ANSWERED_ENABLE_MS)) {
        this.pressed.delete(id);
        this.applyPressed(id);
        const item = this.nodes.get(id);
        if (item && document.activeElement === item.node) {
          const again = [...item.parts.keyboard.querySelectorAll('button')].find((b) => b.dataset.data === p.data);
          again?.focus({ preventScroll: true });
        }
      }
    }
  }

  async press(m, data, btn) {
    if (this.pressed.has(m.messageId)) return;
    const hadFocus = document.activeElement === btn;
    const lastId = Math.max(0, ...this.nodes.keys());
    this.pressed.set(m.messageId, { sig: JSON.stringify([m.text, m.buttons]), data, lastId, queryId: undefined, answeredAt: undefined });
    this.applyPressed(m.messageId);
    // The pressed button is disabled now: keep the keyboard focus on its message meanwhile.
    const node = this.nodes.get(m.messageId)?.node;
    if (hadFocus && node) {
      node.tabIndex = -1;
      node.focus({ preventScroll: true });
    }
    try {
      const r = await api(`/_sim/users/${this.userId}/press`, { ...this.who(), messageId: m.messageId, data });
      const p = this.pressed.get(m.messageId);
      if (p) p.queryId = r.callbackQueryId;
      this.say('');
    } catch (e) {
      this.pressed.delete(m.messageId);
      this.applyPressed(m.messageId);
      this.say(`⚠ ${e.message}`);
    }
    void this.refresh();
  }

  invoiceCard(m) {
    const inv = m.invoice;
    const card = el('div', 'invoice');
    card.append(el('div', 'invoice-title', inv.title));
    card.append(el('div', 'invoice-desc', inv.description));
    const price = inv.currency === 'XTR' ? `${inv.totalAmount} ⭐` : `${inv.totalAmount} ${inv.currency}`;
    card.append(el('div', 'invoice-price', price));
    const payButton = m.buttons.flat().find((b) => b.pay);
    const busy = this.paying.has(m.messageId);
    const label = inv.paid ? 'Paid ✓' : busy ? 'Paying…' : payButton?.text || (inv.currency === 'XTR' ? `Pay ${starsText(inv.totalAmount)}` : `Pay ${price}`);
    const btn = button(label, 'pay', () => void this.pay({ messageId: m.messageId }, btn));
    btn.disabled = inv.paid || busy;
    if (busy) btn.setAttribute('aria-busy', 'true');
    card.append(btn);
    if (inv.refusal) {
      const err = el('div', 'invoice-error', `Payment declined: ${inv.refusal}`);
      card.append(err);
    }
    return card;
  }

  async pay(target, btn) {
    const key = target.messageId ?? target.link;
    if (this.paying.has(key)) return;
    this.paying.add(key);
    if (btn) {
      btn.disabled = true;
      btn.setAttribute('aria-busy', 'true');
      btn.textContent = 'Paying…';
    }
    this.say('⏳ Paying… waiting for the bot to confirm');
    try {
      const r = await api(`/_sim/users/${this.userId}/pay`, { ...this.who(), ...target });
      if (r.status === 'paid') this.say(`✓ Paid ${r.totalAmount} ⭐ · Stars left: ${r.balance}`);
      else this.say(`⚠ Payment failed: ${r.errorMessage}`);
    } catch (e) {
      this.say(`⚠ ${e.message}`);
    }
    this.paying.delete(key);
    this.lastJson = '';
    await this.refresh();
  }
}

function serviceText(m) {
  if (m.kind === 'payment') return `You paid ${m.payment.totalAmount} ⭐ to ${botName()}${m.payment.refunded ? ' · refunded' : ''}`;
  return `${botName()} refunded ${m.refund.totalAmount} ⭐ to you`;
}

function flash(node) {
  node.classList.remove('flash');
  void node.offsetWidth;
  node.classList.add('flash');
}

// ---- panes and the user list ----

function renderTabs() {
  const items = [...panes.keys()].map((id) => {
    const li = el('li');
    const b = button('', 'user-tab', () => setActive(id, true));
    b.append(el('span', 'tab-prefix', 'User '), String(id));
    b.dataset.user = String(id);
    b.setAttribute('aria-controls', `u${id}-pane`);
    if (id === activeUser) b.setAttribute('aria-current', 'true');
    li.append(b);
    return li;
  });
  $('user-tabs').replaceChildren(...items);
  $('new-user-id').value = String(Math.max(1000, ...panes.keys()) + 1);
}

function setActive(userId, focus) {
  if (!panes.has(userId)) return;
  const changed = activeUser !== userId;
  activeUser = userId;
  for (const [id, p] of panes) p.root.classList.toggle('active', id === userId);
  for (const b of $('user-tabs').querySelectorAll('button')) {
    if (Number(b.dataset.user) === userId) b.setAttribute('aria-current', 'true');
    else b.removeAttribute('aria-current');
  }
  const pane = panes.get(userId);
  if (focus) {
    pane.root.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    pane.text.focus({ preventScroll: true });
  }
  if (changed) {
    pane.scrollToEnd();
    saveSettings();
  }
}

function openPane(userId, saved, focus) {
  if (!panes.has(userId)) {
    const pane = new Pane(userId, saved);
    panes.set(userId, pane);
    $('panes').append(pane.root);
    void poll(pane);
  }
  renderTabs();
  setActive(userId, focus);
  saveSettings();
}

function closePane(userId) {
  if (panes.size <= 1) {
    panes.get(userId)?.say('This is the last chat: add another user before closing it.');
    return;
  }
  const pane = panes.get(userId);
  pane.closed = true;
  pane.root.remove();
  panes.delete(userId);
  if (activeUser === userId) activeUser = [...panes.keys()][0];
  renderTabs();
  setActive(activeUser, true);
  saveSettings();
}

async function poll(pane) {
  while (!pane.closed) {
    await pane.refresh();
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

$('add-user').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const id = Number($('new-user-id').value);
  if (!Number.isInteger(id) || id < 1) return;
  openPane(id, {}, true);
});

// Escape or a click elsewhere closes an open command menu.
document.addEventListener('click', (ev) => {
  for (const p of panes.values()) {
    if (!p.menu.hidden && !p.menu.contains(ev.target) && !p.menuButton.contains(ev.target)) p.closeMenu(false);
  }
});
document.addEventListener('keydown', (ev) => {
  if (ev.key !== 'Escape') return;
  for (const p of panes.values()) if (!p.menu.hidden && p.root.contains(document.activeElement)) p.closeMenu(true);
});
narrow.addEventListener('change', () => setActive(activeUser, false));

for (const u of settings.users) openPane(u.id, u, false);
setActive(panes.has(settings.active) ? settings.active : [...panes.keys()][0], false);

api('/_sim/info')
  .then((info) => {
    $('bot-name').textContent = `@${info.bot.username}`;
    $('bot-mode').textContent = info.mode;
  })
  .catch(() => {});
