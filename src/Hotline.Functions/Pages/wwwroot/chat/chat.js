'use strict';
// The caller's chat. Everything lives in this page's memory only: no cookies, no web storage, no service worker.
// Quick exit (the button, or Esc twice) empties the page and replaces it with an ordinary site.
(function () {
  const $ = (id) => document.getElementById(id);
  const exitUrl = document.body.dataset.exit || 'about:blank';
  const state = { token: null, texts: null, language: 'en', lastAt: null, seen: new Set(), pending: null, timer: null, polling: false,
    started: false, ended: false, escAt: 0, textsRequest: 0 };
  const maxLength = () => (state.texts ? state.texts.maxLength : 1000);

  function quickExit() {
    const token = state.token;
    state.token = null;
    clearTimeout(state.timer);
    if (token) {
      // Tell the counsellor the caller has gone; never wait for it.
      fetch('/api/chat/leave', { method: 'POST', keepalive: true, credentials: 'omit', headers: { 'X-Chat-Session': token } }).catch(() => {});
    }
    document.title = '';
    document.body.replaceChildren();
    location.replace(exitUrl);
  }

  $('exit').addEventListener('click', quickExit);
  document.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape') return;
    const now = Date.now();
    if (now - state.escAt < 1500) quickExit();
    state.escAt = now;
  });

  const t = (key) => (state.texts && state.texts.texts[key]) || '';

  function applyTexts(texts) {
    state.texts = texts;
    state.language = texts.language;
    document.documentElement.lang = texts.language;
    document.documentElement.dir = texts.direction;
    const labels = { exit: 'quickExit', 'language-label': 'languageLabel', heading: 'heading', intro: 'intro', 'exit-hint': 'quickExitHint',
      start: 'start', 'message-label': 'messageLabel', send: 'send', leave: 'leave' };
    for (const [id, key] of Object.entries(labels)) $(id).textContent = t(key);
    $('message').maxLength = texts.maxLength;
    const select = $('language');
    if (select.options.length !== texts.languages.length) {
      select.replaceChildren(...texts.languages.map((l) => new Option(l.name, l.code)));
    }
    select.value = texts.language;
    for (const li of $('transcript').querySelectorAll('li[data-who]')) {
      li.querySelector('.who').textContent = t(li.dataset.who);
    }
  }

  // The latest choice wins: an answer to an earlier choice that arrives late is dropped. The chosen language is
  // what messages are sent in from that moment, even before its texts arrive.
  async function loadTexts(language) {
    const request = ++state.textsRequest;
    state.language = language;
    try {
      const response = await fetch('/api/chat/texts/' + encodeURIComponent(language), { credentials: 'omit', cache: 'no-store' });
      const texts = response.ok ? await response.json() : null;
      if (texts && request === state.textsRequest) applyTexts(texts);
    } catch (e) { /* offline for a moment: the page keeps the texts it has */ }
  }

  function browserLanguage() {
    const offered = (document.body.dataset.languages || 'en').split(',');
    for (const tag of navigator.languages || [navigator.language || 'en']) {
      const code = String(tag).slice(0, 2).toLowerCase();
      if (offered.includes(code)) return code;
    }
    return 'en';
  }

  $('language').addEventListener('change', (e) => loadTexts(e.target.value));

  function addLine(kind, text, who) {
    const li = document.createElement('li');
    li.className = kind;
    if (who) {
      li.dataset.who = who;
      const label = document.createElement('span');
      label.className = 'who';
      label.textContent = t(who);
      li.append(label);
    }
    li.append(document.createTextNode(text));
    $('transcript').append(li);
    li.scrollIntoView({ block: 'nearest' });
  }

  const headers = () => ({ 'Content-Type': 'application/json', 'X-Chat-Session': state.token });

  // One poll at a time. It asks from a minute before the newest message it has (a message can be stored a moment
  // after a later one was stamped) and skips those it has seen.
  async function poll() {
    if (!state.token || state.polling) return;
    state.polling = true;
    clearTimeout(state.timer);
    try {
      const since = state.lastAt ? new Date(new Date(state.lastAt).getTime() - 60000).toISOString() : null;
      const after = since ? '?after=' + encodeURIComponent(since) : '';
      const response = await fetch('/api/chat/messages' + after, { headers: headers(), credentials: 'omit', cache: 'no-store' });
      if (response.ok) {
        const result = await response.json();
        for (const m of result.messages) {
          if (state.seen.has(m.id)) continue;
          state.seen.add(m.id);
          if (!state.lastAt || new Date(m.at) > new Date(state.lastAt)) state.lastAt = m.at;
          addLine(m.direction, m.text, m.direction === 'in' ? 'you' : 'counsellor');
        }
        if (state.started && result.status !== 'open' && state.seen.size > 0) { state.polling = false; return end(); }
      }
    } catch (e) { /* offline for a moment: try again at the next tick */ }
    state.polling = false;
    if (state.token) state.timer = setTimeout(poll, 2000);
  }

  function end() {
    state.ended = true;
    state.token = null;
    clearTimeout(state.timer);
    $('composer').hidden = true;
    addLine('note', t('ended'));
  }

  $('start').addEventListener('click', async () => {
    $('start').disabled = true;
    try {
      const response = await fetch('/api/chat/sessions', { method: 'POST', credentials: 'omit' });
      if (!response.ok) throw new Error(String(response.status));
      state.token = (await response.json()).token;
      $('start').hidden = true;
      $('chat').hidden = false;
      $('message').focus();
    } catch (e) {
      $('start').disabled = false;
      $('status').textContent = t(String(e.message) === '429' ? 'tooFast' : 'sendFailed');
    }
  });

  $('composer').addEventListener('submit', async (e) => {
    e.preventDefault();
    const box = $('message');
    const text = box.value.trim();
    if (!text || !state.token) return;
    if (text.length > maxLength()) { $('status').textContent = t('tooLong'); return; }
    // One id per message text, kept until it is accepted, so a retry after a lost answer is not stored twice (and
    // an edited message is a new one).
    if (!state.pending || state.pending.text !== text) {
      state.pending = { text, id: Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('') };
    }
    $('send').disabled = true;
    try {
      const response = await fetch('/api/chat/messages', {
        method: 'POST', headers: headers(), credentials: 'omit',
        body: JSON.stringify({ id: state.pending.id, text, language: state.language }),
      });
      if (response.status === 429) { $('status').textContent = t('tooFast'); return; }
      if (!response.ok) { $('status').textContent = t('sendFailed'); return; }
      const result = await response.json();
      state.pending = null;
      state.started = true;
      if (box.value.trim() === text) box.value = ''; // keep anything typed meanwhile
      $('status').textContent = '';
      await poll();
      if (result.reply) addLine('note', result.reply);
    } catch (err) {
      $('status').textContent = t('sendFailed');
    } finally {
      $('send').disabled = false;
      box.focus();
    }
  });

  $('leave').addEventListener('click', async () => {
    if (!state.token) return;
    const token = state.token;
    end();
    await fetch('/api/chat/leave', { method: 'POST', credentials: 'omit', headers: { 'X-Chat-Session': token } }).catch(() => {});
  });

  // Closing or leaving the page ends the chat, so no counsellor waits for someone who has gone.
  addEventListener('pagehide', () => {
    if (state.token) fetch('/api/chat/leave', { method: 'POST', keepalive: true, credentials: 'omit', headers: { 'X-Chat-Session': state.token } }).catch(() => {});
  });

  // Start is offered once the page speaks the caller's language (or could not load it), not before.
  $('start').disabled = true;
  loadTexts(browserLanguage()).finally(() => { $('start').disabled = false; });
})();
