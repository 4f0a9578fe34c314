'use strict';
// The caller's chat. Everything lives in this page's memory only: no cookies, no web storage, no service worker.
// Quick exit (the button, or Esc twice) empties the page and replaces it with an ordinary site.
(function () {
  const $ = (id) => document.getElementById(id);
  const exitUrl = document.body.dataset.exit || 'about:blank';
  // outgoing: the caller's messages in the order written, each until the app has accepted it and the page has shown
  // it back from the conversation (so a message is never shown twice nor lost from view).
  const state = { token: null, texts: null, language: 'en', lastAt: null, seen: new Set(), outgoing: [], sending: false,
    retryTimer: null, retryDelay: 0, timer: null, polling: false, pollAgain: false, statusKey: null,
    started: false, ended: false, escAt: 0, textsRequest: 0, callbackId: null, callbackSending: false };
  const maxLength = () => (state.texts ? state.texts.maxLength : 1000);

  function quickExit() {
    const token = state.token;
    state.token = null;
    clearTimeout(state.timer);
    clearTimeout(state.retryTimer);
    $('callback')?.reset(); // gone already when quick exit is pressed again while the way out loads
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
      start: 'start', 'message-label': 'messageLabel', send: 'send', leave: 'leave',
      'callback-open': 'callbackAsk', 'callback-heading': 'callbackHeading', 'callback-intro': 'callbackIntro',
      'callback-number-label': 'callbackNumberLabel', 'callback-number-hint': 'callbackNumberHint',
      'callback-when-label': 'callbackWhenLabel', 'callback-when-hint': 'callbackWhenHint', 'callback-morning': 'callbackMorning',
      'callback-afternoon': 'callbackAfternoon', 'callback-evening': 'callbackEvening', 'callback-message-label': 'callbackMessageLabel',
      'callback-message-no-label': 'callbackMessageNo', 'callback-message-yes-label': 'callbackMessageYes',
      'callback-code-label': 'callbackCodeWordLabel', 'callback-code-hint': 'callbackCodeWordHint', 'callback-send': 'callbackSend',
      'callback-cancel': 'callbackCancel' };
    for (const [id, key] of Object.entries(labels)) $(id).textContent = t(key);
    for (const e of $('transcript').querySelectorAll('[data-text]')) e.textContent = t(e.dataset.text);
    const select = $('language');
    if (select.options.length !== texts.languages.length) {
      select.replaceChildren(...texts.languages.map((l) => new Option(l.name, l.code)));
    }
    select.value = texts.language;
    for (const li of $('transcript').querySelectorAll('li[data-who]')) {
      li.querySelector('.who').textContent = t(li.dataset.who);
    }
    for (const mark of $('transcript').querySelectorAll('.state')) mark.textContent = t('waitingToSend');
    if (state.statusKey) setStatus(state.statusKey);
    updateCounter();
  }

  function setStatus(key) {
    state.statusKey = key;
    $('status').textContent = key ? t(key) : '';
  }

  // Cuts a text longer than one message into messages of at most max characters: at the last white space (or
  // Chinese punctuation) in the second half of each, or at the limit when a single word is longer than that.
  function split(text, max) {
    const parts = [];
    let rest = text.trim();
    while (rest.length > max) {
      let cut = 0;
      for (let i = max; i > max / 2 && !cut; i--) {
        if (/\s/.test(rest[i]) || '。！？；，、'.includes(rest[i - 1])) cut = i;
      }
      if (!cut) cut = /[\uD800-\uDBFF]/.test(rest[max - 1]) ? max - 1 : max; // never between the halves of a character
      parts.push(rest.slice(0, cut).trim());
      rest = rest.slice(cut).trim();
    }
    if (rest) parts.push(rest);
    return parts;
  }

  // How much room is left, or how many messages a longer text will be sent as.
  function updateCounter() {
    const text = $('message').value.trim();
    const max = maxLength();
    const over = text.length > max;
    $('counter').textContent = over
      ? t('sentInParts').replace('{Parts}', String(split(text, max).length))
      : t('charactersLeft').replace('{Count}', String(max - text.length));
    $('counter').classList.toggle('over', over);
  }
  $('message').addEventListener('input', updateCounter);

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

  function line(kind, text, who) {
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
    return li;
  }

  // A line from the conversation goes before the caller's messages it has not shown yet (those come later in it).
  function place(li) {
    const waiting = state.outgoing.find((m) => !m.shown);
    $('transcript').insertBefore(li, waiting ? waiting.li : null);
    li.scrollIntoView({ block: 'nearest' });
  }

  const addLine = (kind, text, who) => place(line(kind, text, who));

  // Keeps the newest line clear of the composer, which stays at the bottom of the screen, also when it grows (a
  // status shows).
  new ResizeObserver(() => {
    document.documentElement.style.setProperty('--composer-height', $('composer').offsetHeight + 'px');
    $('transcript').lastElementChild?.scrollIntoView({ block: 'nearest' });
  }).observe($('composer'));

  const headers = () => ({ 'Content-Type': 'application/json', 'X-Chat-Session': state.token });

  // One poll at a time (one asked for meanwhile runs after it). It asks from a minute before the newest message it has
  // (a message can be stored a moment after a later one was stamped) and skips those it has seen.
  async function poll() {
    if (!state.token) return;
    if (state.polling) { state.pollAgain = true; return; }
    state.polling = true;
    state.pollAgain = false;
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
          const li = line(m.direction, m.text, m.direction === 'in' ? 'you' : 'counsellor');
          // The caller's messages are sent one after another, so they come back in that order: a new one is the
          // first the page has not shown back yet, and takes the place of its line.
          const mine = m.direction === 'in' && state.outgoing.find((o) => !o.shown);
          if (mine) {
            mine.li.replaceWith(li);
            mine.li = li;
            mine.shown = true;
          } else {
            place(li);
          }
        }
        settle();
        if (state.started && result.status !== 'open' && state.seen.size > 0) { state.polling = false; return end(); }
        if (state.outgoing.some((o) => !o.accepted)) flush(); // the app answers again: send what waits now
      } else if (response.status === 401) {
        state.polling = false;
        return over();
      }
    } catch (e) { /* offline for a moment: try again at the next tick */ }
    state.polling = false;
    if (state.pollAgain) return poll();
    if (state.token) state.timer = setTimeout(poll, 2000);
  }

  // A message accepted and shown back is done with; the app's answer to it (if any) goes right after it.
  function settle() {
    for (const m of state.outgoing.filter((o) => o.accepted && o.shown)) {
      if (!m.reply) continue;
      const note = line('note', m.reply);
      m.li.after(note);
      if (m.offerCallback) note.after(callbackOffer());
    }
    state.outgoing = state.outgoing.filter((o) => !(o.accepted && o.shown));
  }

  // Marks every message not accepted yet as not sent, and says why.
  function notSent(key) {
    setStatus(key);
    for (const m of state.outgoing.filter((o) => !o.accepted && !o.shown)) {
      if (m.li.querySelector('.state')) continue;
      const mark = document.createElement('span');
      mark.className = 'state';
      mark.textContent = t('waitingToSend');
      m.li.classList.add('unsent');
      m.li.append(mark);
    }
  }

  // Sends the waiting messages one at a time, in order. Each keeps its id until accepted, so a retry after a lost
  // answer is not stored twice. When the app cannot be reached (or asks to slow down) the messages stay on the page,
  // marked not sent, and are tried again; a message refused for good goes back into the box.
  async function flush() {
    clearTimeout(state.retryTimer);
    const next = state.outgoing.find((o) => !o.accepted);
    if (state.sending || !state.token || !next) return;
    state.sending = true;
    let retryIn = 0;
    try {
      const response = await fetch('/api/chat/messages', {
        method: 'POST', headers: headers(), credentials: 'omit',
        body: JSON.stringify({ id: next.id, text: next.text, language: next.language }),
      });
      if (response.ok) {
        const result = await response.json();
        next.reply = result.reply;
        next.offerCallback = result.offerCallback;
        next.accepted = true;
        next.li.classList.remove('unsent');
        next.li.querySelector('.state')?.remove();
        state.started = true;
        $('callback-open').hidden = false;
        state.retryDelay = 0;
        if (!state.outgoing.some((o) => !o.accepted)) setStatus(null);
        settle();
        poll();
      } else if (response.status === 401) {
        over();
      } else if (response.status === 429) {
        notSent('tooFast');
        retryIn = 3000;
      } else if (response.status >= 500 || response.status === 408) {
        throw new Error(String(response.status));
      } else {
        giveBack();
      }
    } catch (e) {
      state.retryDelay = Math.min(30000, state.retryDelay * 2 || 2000);
      retryIn = state.retryDelay;
      notSent('notSentYet');
    } finally {
      state.sending = false;
    }
    if (retryIn) state.retryTimer = setTimeout(flush, retryIn);
    else flush();
  }

  function giveBack() {
    const refused = state.outgoing.filter((o) => !o.accepted && !o.shown);
    state.outgoing = state.outgoing.filter((o) => !refused.includes(o));
    for (const m of refused) m.li.remove();
    const box = $('message');
    box.value = [...refused.map((m) => m.text), box.value].filter(Boolean).join('\n');
    updateCounter();
    setStatus('sendFailed');
  }

  addEventListener('online', () => flush());

  // The app no longer takes this session (its time is up, or it was ended): the chat is over. A message that did not
  // go stays on the page, marked, and the status says so.
  function over() {
    if (state.outgoing.some((o) => !o.accepted)) notSent('sendFailed');
    end();
  }

  function end() {
    state.ended = true;
    state.token = null;
    clearTimeout(state.timer);
    clearTimeout(state.retryTimer);
    $('composer').hidden = true;
    closeCallback();
    $('callback-open').hidden = true;
    for (const button of $('transcript').querySelectorAll('.offer button')) button.disabled = true;
    addLine('note', t('ended'));
  }

  const newId = () => Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');

  // Nobody can answer now: a call back is offered where she reads that, not only behind the discreet button.
  function callbackOffer() {
    const li = document.createElement('li');
    li.className = 'note offer';
    const text = document.createElement('span');
    text.dataset.text = 'callbackOffer';
    text.textContent = t('callbackOffer');
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'primary';
    button.dataset.text = 'callbackAsk';
    button.textContent = t('callbackAsk');
    button.addEventListener('click', openCallback);
    li.append(text, button);
    return li;
  }

  // The form takes the composer's place at the bottom of the screen while it is open.
  function openCallback() {
    if (!state.token) return;
    $('composer').hidden = true;
    $('callback').hidden = false;
    $('callback-open').setAttribute('aria-expanded', 'true');
    $('callback-number').focus();
  }

  // Closing empties the form: her number and code word are not kept on the page once she is done with them.
  function closeCallback() {
    const form = $('callback');
    const open = !form.hidden;
    form.reset();
    state.callbackId = null;
    $('callback-status').textContent = '';
    for (const field of form.querySelectorAll('[aria-invalid]')) field.removeAttribute('aria-invalid');
    form.hidden = true;
    $('callback-open').setAttribute('aria-expanded', 'false');
    if (!state.ended) {
      $('composer').hidden = false;
      if (open) $('message').focus();
    }
  }

  $('callback-open').addEventListener('click', () => ($('callback').hidden ? openCallback() : closeCallback()));
  $('callback-cancel').addEventListener('click', closeCallback);
  // A request id stands for exactly what was sent: resending unchanged asks once, a change is a new request.
  for (const event of ['input', 'change']) $('callback').addEventListener(event, () => { state.callbackId = null; });
  for (const choice of $('callback').querySelectorAll('[data-when]')) {
    choice.addEventListener('click', () => {
      $('callback-when').value = (state.texts && state.texts.callbackTimes[choice.dataset.when]) || '';
      state.callbackId = null;
      $('callback-when').focus();
    });
  }

  $('callback').addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!state.token || state.callbackSending) return;
    state.callbackId = state.callbackId || newId();
    state.callbackSending = true;
    $('callback-send').disabled = true;
    const status = $('callback-status');
    status.textContent = '';
    for (const field of $('callback').querySelectorAll('[aria-invalid]')) field.removeAttribute('aria-invalid');
    try {
      const response = await fetch('/api/chat/callback', {
        method: 'POST', headers: headers(), credentials: 'omit',
        body: JSON.stringify({
          id: state.callbackId, number: $('callback-number').value, when: $('callback-when').value,
          mayLeaveMessage: $('callback-message-yes').checked, codeWord: $('callback-code').value, language: state.language,
        }),
      });
      if (response.ok) {
        const confirmation = (await response.json()).confirmation;
        closeCallback();
        addLine('note', confirmation);
      } else if (response.status === 401) {
        over();
      } else if (response.status === 429) {
        status.textContent = t('tooFast');
      } else if (response.status >= 500 || response.status === 408) {
        throw new Error(String(response.status));
      } else {
        // The reason, in her language, never repeating what she wrote; the field it is about is marked and focused.
        const problem = await response.json().catch(() => null);
        status.textContent = (problem && problem.detail) || t('sendFailed');
        const field = problem && { number: 'callback-number', when: 'callback-when' }[problem.field];
        if (field) {
          $(field).setAttribute('aria-invalid', 'true');
          $(field).focus();
        }
      }
    } catch (err) {
      status.textContent = t('noConnection');
    } finally {
      state.callbackSending = false;
      $('callback-send').disabled = false;
    }
  });

  $('start').addEventListener('click', async () => {
    $('start').disabled = true;
    $('start-status').textContent = '';
    try {
      const response = await fetch('/api/chat/sessions', { method: 'POST', credentials: 'omit' });
      if (!response.ok) throw new Error(String(response.status));
      state.token = (await response.json()).token;
      $('start').hidden = true;
      $('chat').hidden = false;
      updateCounter();
      $('message').focus();
    } catch (e) {
      $('start').disabled = false;
      $('start-status').textContent = t(String(e.message) === '429' ? 'tooFast' : 'noConnection');
    }
  });

  // A message is shown at once and sent in the background; one longer than the limit goes as several, in order.
  $('composer').addEventListener('submit', (e) => {
    e.preventDefault();
    const box = $('message');
    const text = box.value.trim();
    if (!text || !state.token) return;
    for (const part of split(text, maxLength())) {
      const id = newId();
      const message = { id, text: part, language: state.language, li: line('in', part, 'you'), accepted: false, shown: false, reply: null };
      state.outgoing.push(message);
      $('transcript').append(message.li);
      message.li.scrollIntoView({ block: 'nearest' });
    }
    box.value = '';
    updateCounter();
    box.focus();
    flush();
    poll(); // also notices when the app can be reached again
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
