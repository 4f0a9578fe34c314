'use strict';
// The counsellor console: your conversations across channels, one open at a time with its transcript, reply box and
// intake form. Polls every 2 s. Every text from a caller is put on the page with textContent: it is never markup.
(function () {
  const { el, api, since, conversationName, languageName } = Staff;
  const main = document.getElementById('main');
  const state = { me: null, list: [], openId: null, seen: {}, timer: null, detail: null, languages: [], detailRequest: 0, sending: false, generation: 0,
    offers: new Set(), escalation: null, partnersAt: 0, due: [], calling: {}, callbackOptions: null, callbackSignature: null };
  const TITLE = document.title;

  const INTAKE = {
    callType: ['Call type', ['reporting-a-location', 'reporting-trafficking', 'after-the-fact', 'shelter-information', 'travel-or-work-abroad',
      'employment-agency-check', 'missing-person', 'family-violence', 'misuse-or-threatening', 'unspecified']],
    callerRole: ['Caller is', ['victim', 'relative', 'co-worker', 'other-third-party']],
    gender: ['Gender', ['female', 'male', 'other', 'not-said']],
    ageGroup: ['Age group', ['under-18', '18-24', '25-34', '35-49', '50-plus']],
    exploitationForm: ['Form of exploitation', ['labour', 'sexual', 'domestic-servitude', 'forced-criminality', 'forced-begging', 'forced-marriage', 'organ-removal', 'other']],
    sector: ['Sector', ['agriculture', 'construction', 'domestic-work', 'care', 'hospitality', 'manufacturing', 'fishing', 'cleaning', 'transport', 'sex-industry', 'other']],
    source: ['Found the hotline through', ['friend-or-family', 'social-media', 'poster-or-leaflet', 'ngo', 'authorities', 'co-worker', 'search-engine', 'media', 'other']],
  };
  const INDICATORS = ['abuse-of-vulnerability', 'deception', 'restriction-of-movement', 'isolation', 'physical-or-sexual-violence',
    'intimidation-and-threats', 'retention-of-identity-documents', 'withholding-of-wages', 'debt-bondage',
    'abusive-working-and-living-conditions', 'excessive-overtime'];
  // Codes in words; where a hyphen belongs to the word or stands for a range, say it as people write it.
  const SAID = { '18-24': '18–24', '25-34': '25–34', '35-49': '35–49', 'under-18': 'under 18', '50-plus': '50 and over', 'co-worker': 'co-worker',
    atRisk: 'who is at risk' };
  const words = (code) => SAID[code] || code.replace(/-/g, ' ');
  // Why an offer came to someone outside the language's own pool (the routing tier in the offer's hop).
  const VIA = { 'interpreter-service': 'through the interpreter service', 'any-with-interpreter': 'with an interpreter', supervisor: 'as the supervisor on duty' };

  document.getElementById('sign-out').addEventListener('click', () => Staff.signOut());
  Staff.onSignedOut(() => {
    clearTimeout(state.timer);
    state.generation++;
    Object.assign(state, { me: null, list: [], openId: null, seen: {}, detail: null, sending: false, offers: new Set(), escalation: null, partnersAt: 0,
      due: [], calling: {}, callbackOptions: null, callbackSignature: null });
    document.title = TITLE;
    delete viewEl.dataset.id;
    listEl.replaceChildren();
    document.getElementById('who').hidden = true;
    document.getElementById('me').textContent = '';
    main.replaceChildren();
    Staff.signIn(main, 'counsellor', start);
  });

  // New offers announced with a sound and, if the browser allows, a notification: off unless the counsellor asks.
  // The notification says only that an offer came, never who or what: it may show on a locked screen.
  let audio = null;
  document.getElementById('announce').addEventListener('change', (e) => {
    if (!e.target.checked) return;
    try { audio = audio || new AudioContext(); } catch { audio = null; }
    if ('Notification' in window && Notification.permission === 'default') Notification.requestPermission().catch(() => {});
  });
  function announceOffer() {
    if (!document.getElementById('announce').checked) return;
    if ('Notification' in window && Notification.permission === 'granted') {
      try { new Notification('New conversation offered', { tag: 'hotline-offer' }); } catch { /* not allowed here */ }
    }
    if (audio) {
      const tone = audio.createOscillator();
      const gain = audio.createGain();
      gain.gain.value = 0.15;
      tone.frequency.value = 880;
      tone.connect(gain).connect(audio.destination);
      tone.start();
      tone.stop(audio.currentTime + 0.25);
    }
  }

  document.getElementById('on-call').addEventListener('change', async (e) => {
    try { await api('PUT', '/api/me/availability', { onCall: e.target.checked }); } catch (err) { e.target.checked = !e.target.checked; showError(err); }
  });

  const errorLine = el('p', { class: 'error', role: 'alert', id: 'error' });
  const listEl = el('ul', { id: 'conversations', 'aria-label': 'Your conversations' });
  const viewEl = el('section', { id: 'conversation', class: 'panel', 'aria-live': 'polite' }, el('p', { class: 'empty', text: 'Choose a conversation.' }));
  const dueEl = el('section', { id: 'callbacks-due', class: 'panel', 'aria-label': 'Callbacks due', hidden: true });
  const showError = (err) => { errorLine.textContent = err ? err.message : ''; };

  async function start() {
    state.me = await api('GET', '/api/me');
    state.me.languages = state.me.hotlineLanguages;
    document.getElementById('who').hidden = false;
    document.getElementById('me').textContent = state.me.id;
    const counsellor = state.me.counsellor;
    document.getElementById('on-call').checked = !!(counsellor && counsellor.onCall);
    document.getElementById('on-call').disabled = !counsellor;
    document.getElementById('my-languages').textContent = counsellor ? 'Languages: ' + counsellor.languages.map(languageName).join(', ') : 'Not on the roster';
    main.replaceChildren(errorLine, ...(counsellor ? [phonePanel()] : []), dueEl, el('div', { class: 'console' },
      el('nav', { class: 'panel', 'aria-label': 'Conversations' }, el('h2', { text: 'Conversations' }), listEl), viewEl));
    openFromHash();
    tick();
  }

  // Your phone, for voice calls: the app shows it only masked, so a number is typed in full to set it and is never
  // shown back. "Take calls on my phone" lets calls ring it while this console is closed.
  function phonePanel() {
    const status = el('p', { class: 'error', role: 'alert', id: 'phone-status' });
    const summary = el('summary', { id: 'phone-summary' });
    const number = el('input', { id: 'phone-number', type: 'tel', autocomplete: 'off', spellcheck: 'false', placeholder: '+44 7700 900123', 'aria-describedby': 'phone-hint' });
    const calls = el('input', { id: 'phone-calls', type: 'checkbox' });
    const remove = el('button', { type: 'button', id: 'phone-remove', text: 'Remove my phone' });
    const show = (c) => {
      summary.textContent = c.maskedPhoneNumber
        ? 'Your phone ' + c.maskedPhoneNumber + (c.takesCallsOnPhone ? ': takes calls without the console' : ': rings only while this console is open')
        : 'Your phone: none given (calls cannot ring you)';
      calls.checked = !!c.takesCallsOnPhone;
      calls.disabled = !c.maskedPhoneNumber;
      remove.disabled = !c.maskedPhoneNumber;
    };
    async function save(body) {
      status.textContent = '';
      try {
        state.me.counsellor = await api('PUT', '/api/me/phone', body);
        number.value = '';
      } catch (err) {
        status.textContent = err.message;
      }
      show(state.me.counsellor);
    }
    calls.addEventListener('change', () => save({ takesCallsOnPhone: calls.checked }));
    remove.addEventListener('click', () => save({ phoneNumber: null }));
    const form = el('form', { class: 'actions', novalidate: true, onsubmit: (e) => {
      e.preventDefault();
      if (number.value.trim()) save({ phoneNumber: number.value.trim() });
      else status.textContent = 'Type your number in international form, for example +44 7700 900123.';
    } },
      el('label', { for: 'phone-number', text: 'New number' }), number, el('button', { type: 'submit', text: 'Save number' }), remove);
    show(state.me.counsellor);
    return el('details', { class: 'panel my-phone', id: 'my-phone' }, summary, form,
      el('p', { id: 'phone-hint', class: 'hint', text: 'International form: + and the country code. It is shown only as its last four digits.' }),
      el('label', { class: 'switch' }, calls, el('span', { text: 'Take calls on my phone without the console open' })),
      status);
  }

  window.addEventListener('hashchange', () => { if (Staff.user) openFromHash(); });

  // One refresh at a time; an action asks for one at once instead of starting a second loop.
  async function tick() {
    clearTimeout(state.timer);
    if (!Staff.user) return;
    if (state.ticking) { state.again = true; return; }
    state.ticking = true;
    const generation = state.generation;
    try {
      const [list, due] = await Promise.all([api('GET', '/api/conversations'), api('GET', '/api/callbacks/mine')]);
      if (generation === state.generation) { // not if its counsellor signed out meanwhile
        state.list = list;
        state.due = due;
        renderList();
        renderDue();
        if (state.openId) await loadDetail(state.openId);
        if (state.openId) await loadPartners(false);
        showError(null);
      }
    } catch (err) { showError(err); }
    state.ticking = false;
    if (Staff.user) state.timer = setTimeout(tick, state.again ? 0 : 2000);
    state.again = false;
  }

  // A time someone must read right at 3 a.m.: 24-hour clock, and the day unless it is today ("21:00 today", "Tue 3 Dec, 09:00").
  function clock(iso) {
    const d = new Date(iso);
    const time = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    return d.toDateString() === new Date().toDateString() ? time + ' today'
      : d.toLocaleDateString([], { weekday: 'short', day: 'numeric', month: 'short' }) + ', ' + time;
  }
  function left(iso) {
    const minutes = Math.max(0, Math.round((new Date(iso).getTime() - Date.now()) / 60000));
    return minutes < 60 ? minutes + ' min left' : Math.floor(minutes / 60) + ' h ' + (minutes % 60) + ' min left';
  }

  const OUTCOMES = [['reached', 'Reached: code word confirmed', 'primary'], ['reachedNotSafe', 'Someone else answered: cover story used'],
    ['noAnswer', 'No answer'], ['wrongNumber', 'Wrong number'], ['messageLeft', 'Message left']];
  const OUTCOME_WORDS = { reached: 'reached', reachedNotSafe: 'someone else answered', noAnswer: 'no answer', wrongNumber: 'wrong number', messageLeft: 'message left' };

  // Callbacks released to you: the calls to make now. "Call now" rings your phone through the hotline and is the one
  // moment the code word and cover story are shown; they are kept on this page only until the outcome is recorded.
  function renderDue() {
    const ids = new Set(state.due.map((d) => d.id));
    for (const id of Object.keys(state.calling)) if (!ids.has(id)) delete state.calling[id];
    const signature = JSON.stringify([state.due, state.calling, state.dueNote || '']);
    if (dueEl.dataset.signature === signature) return; // nothing changed: leave the buttons (and focus) alone
    dueEl.dataset.signature = signature;
    dueEl.hidden = !state.due.length && !state.dueNote;
    const items = state.due.map((d) => {
      const calling = state.calling[d.id];
      const own = state.list.some((c) => c.id === d.conversationId);
      const item = el('li', { class: 'due-callback' + (d.urgent ? ' urgent' : ''), dataset: { id: d.id } },
        el('p', { class: 'line' },
          d.urgent ? el('span', { class: 'badge gap', text: 'urgent' }) : null,
          el('span', { class: 'badge', text: d.language, title: languageName(d.language) }),
          el('strong', { text: 'Call back in ' + languageName(d.language) }),
          el('span', { class: 'hint' }, 'conversation ', own ? el('a', { href: '#' + d.conversationId, class: 'pseudonym', text: conversationName(d.conversationId) })
            : el('span', { class: 'pseudonym', text: conversationName(d.conversationId) }))),
        el('p', { class: 'until' }, d.until ? el('strong', { text: 'Safe until ' + clock(d.until) }) : 'Safe now', d.until ? ' (' + left(d.until) + ')' : ''),
        el('p', { class: 'hint', text: 'Safe times: ' + d.when }),
        el('p', { class: 'hint', text: (d.attempts ? 'Attempts so far: ' + d.attempts : 'Not tried yet') + ' · '
          + (d.mayLeaveMessage ? 'A message may be left' : 'Leave no message') }));
      if (!calling) {
        item.append(el('button', { type: 'button', class: 'primary', id: 'call-' + d.id, text: 'Call now', onclick: (e) => callNow(d, e.target) }));
        return item;
      }
      item.append(el('div', { class: 'call-card', role: 'region', 'aria-label': 'The call' },
        el('p', { text: 'Your phone (' + calling.phone + ') is ringing from the hotline\'s number. Answer it: the caller is dialled, and sees the hotline\'s number too.' }),
        el('dl', { class: 'recorded' },
          el('dt', { text: 'Code word' }), el('dd', { class: 'code-word', dir: 'auto', text: calling.codeWord || 'none given: do not ask for one' }),
          el('dt', { text: 'If someone else answers' }), el('dd', { class: 'cover-story', text: calling.coverStory }),
          el('dt', { text: 'Message' }), el('dd', { text: calling.mayLeaveMessage ? 'may be left' : 'do not leave one' })),
        el('p', { class: 'hint', text: 'Then record what happened:' }),
        el('div', { class: 'actions' }, OUTCOMES.filter(([o]) => o !== 'messageLeft' || calling.mayLeaveMessage).map(([outcome, label, cls]) =>
          el('button', { type: 'button', class: cls || '', id: 'outcome-' + outcome + '-' + d.id, text: label, onclick: (e) => recordOutcome(d, outcome, e.target) })))));
      return item;
    });
    dueEl.replaceChildren(el('h2', { text: 'Callbacks due' }), ...(state.dueNote ? [el('p', { role: 'status', class: 'hint', id: 'due-note', text: state.dueNote })] : []),
      ...(items.length ? [el('ul', { class: 'due' }, items)] : []));
  }

  async function callNow(d, button) {
    button.disabled = true; // one click, one call
    try {
      const started = await api('POST', '/api/callbacks/' + encodeURIComponent(d.id) + '/call');
      state.calling[d.id] = { phone: started.phone, codeWord: started.codeWord, coverStory: started.coverStory, mayLeaveMessage: started.mayLeaveMessage };
      state.dueNote = '';
      showError(null);
    } catch (err) { showError(err); button.disabled = false; }
    renderDue();
  }

  async function recordOutcome(d, outcome, button) {
    button.disabled = true;
    try {
      const after = await api('POST', '/api/callbacks/' + encodeURIComponent(d.id) + '/outcome', { outcome });
      delete state.calling[d.id]; // the code word leaves the page with the call
      state.due = state.due.filter((x) => x.id !== d.id);
      state.dueNote = 'Recorded: ' + OUTCOME_WORDS[outcome] + '. ' + (after.status === 'closed' ? 'The callback is closed and its number destroyed.' : 'It comes back in a safe window for another attempt.');
      showError(null);
    } catch (err) { showError(err); button.disabled = false; }
    renderDue();
    tick();
  }

  function renderList() {
    // The tab's title counts the offers waiting for you (only a number: never a caller's words).
    const offered = state.list.filter((c) => c.status === 'offered');
    document.title = offered.length ? '(' + offered.length + ') ' + TITLE : TITLE;
    if (offered.some((c) => !state.offers.has(c.id))) announceOffer();
    state.offers = new Set(offered.map((c) => c.id));
    const items = state.list.map((c) => {
      const unread = c.id !== state.openId && (!state.seen[c.id] || state.seen[c.id] < c.lastMessageAt);
      return el('li', {}, el('button', { type: 'button', 'aria-current': c.id === state.openId ? 'true' : 'false', dataset: { id: c.id },
        onclick: () => { location.hash = c.id; } },
        el('span', { class: 'line' },
          c.emergencyAt ? el('span', { class: 'badge gap', text: 'emergency' }) : null,
          c.callbackRequestedAt ? el('span', { class: 'badge warn', text: 'callback' }) : null,
          unread ? el('span', { class: 'unread', title: 'New messages', 'aria-label': 'New messages' }) : null,
          el('span', { class: 'badge', text: c.language, title: languageName(c.language) }), el('span', { text: c.channel }), el('span', { text: c.status })),
        el('span', { class: 'pseudonym', title: c.id, text: conversationName(c.id) }),
        c.waitingSince ? el('span', { class: 'wait', text: 'waiting ' + since(c.waitingSince) }) : null));
    });
    listEl.replaceChildren(...(items.length ? items : [el('li', { class: 'empty', text: 'No conversations.' })]));
  }

  function openFromHash() {
    const id = location.hash.slice(1);
    state.openId = /^c-[0-9a-f]{20}$/.test(id) ? id : null;
    state.detail = null;
    delete viewEl.dataset.id;
    // The previous conversation goes at once, so no click meant for it lands while the next one loads.
    viewEl.replaceChildren(el('p', { class: 'empty', text: state.openId ? 'Loading…' : 'Choose a conversation.' }));
    if (state.openId) loadDetail(state.openId).catch(showError);
    renderList();
  }

  // Only the newest request's answer is drawn: a poll started before an action must not bring back the old state.
  // A failed refresh of a conversation on screen leaves the view alone (the caller shows the error), so nothing
  // being typed is lost; the view is replaced only when the conversation is gone or no longer this counsellor's.
  async function loadDetail(id) {
    const request = ++state.detailRequest;
    try {
      const detail = await api('GET', '/api/conversations/' + encodeURIComponent(id));
      if (id !== state.openId || request !== state.detailRequest) return;
      const changed = !state.detail || JSON.stringify(state.detail) !== JSON.stringify(detail);
      state.detail = detail;
      state.seen[id] = detail.lastMessageAt;
      if (changed) renderDetail(detail);
      await loadCallback(id);
      // The escalation is followed while its panel is open (to see a partner's receipt), and read once otherwise.
      const panel = document.querySelector('details.emergency');
      if (detail.escalationId && (!state.escalation || (panel && panel.open))) await loadEscalation(id, detail.escalationId);
    } catch (err) {
      if (id !== state.openId || request !== state.detailRequest) return;
      if (viewEl.dataset.id === id && err.status !== 403 && err.status !== 404) throw err; // the caller shows it
      state.detail = null;
      delete viewEl.dataset.id;
      viewEl.replaceChildren(el('p', { class: 'error', role: 'alert', text: err.message }));
    }
  }

  // Built once per conversation; later updates replace the head, actions and transcript only, so a reply being typed
  // and an intake form being filled keep their text and focus.
  function renderDetail(c) {
    if (viewEl.dataset.id !== c.id) {
      viewEl.dataset.id = c.id;
      viewEl.replaceChildren(el('div', { id: 'detail-head' }), el('div', { class: 'actions', id: 'detail-actions' }),
        el('section', { id: 'calls', 'aria-label': 'Phone calls' }), el('section', { id: 'callback', 'aria-label': 'Callback' }), callbackForm(c),
        el('ol', { id: 'transcript', 'aria-label': 'Transcript' }), replyForm(c), emergencyPanel(c), intakeForm(c));
      state.escalation = null;
      loadPartners(true).catch(() => {});
    }

    document.getElementById('detail-head').replaceChildren(
      el('h2', {}, el('span', { text: 'Conversation ' }), el('span', { class: 'pseudonym', title: c.id, text: conversationName(c.id) })),
      el('p', { class: 'hint' }, 'Caller ', el('span', { class: 'pseudonym', text: c.caller })),
      ...[offerReason(c)].filter(Boolean),
      el('p', { class: 'actions' },
        c.emergencyAt ? el('span', { class: 'badge gap', text: 'emergency' }) : null,
        el('span', { class: 'badge', text: c.language }), el('span', { text: c.channel }), el('span', { text: c.status }),
        c.callbackRequestedAt ? el('span', { class: 'badge warn', text: 'asked for a callback ' + new Date(c.callbackRequestedAt).toLocaleString() }) : null,
        c.callerContacts > 1 ? el('span', { class: 'badge warn', text: 'repeat contact (' + c.callerContacts + ')' }) : null,
        c.waitingSince ? el('span', { class: 'wait', text: 'waiting ' + since(c.waitingSince) }) : null,
        !c.reachable ? el('span', { class: 'badge warn', text: c.channel === 'chat' ? 'The caller has left the chat' : 'Not reachable by SMS' }) : null));

    const act = (label, fn, props) => el('button', Object.assign({ type: 'button', text: label, onclick: async () => {
      try { await fn(); showError(null); await loadDetail(c.id); tick(); } catch (err) { showError(err); }
    } }, props || {}));
    const previous = document.getElementById('transfer-language');
    const languageSelect = el('select', { id: 'transfer-language' },
      ...state.me.languages.filter((l) => l !== c.language).map((l) => el('option', { value: l, text: languageName(l) })));
    if (previous && [...languageSelect.options].some((o) => o.value === previous.value)) languageSelect.value = previous.value; // keep the choice
    document.getElementById('detail-actions').replaceChildren(...[
      c.status === 'offered' ? act('Accept', () => api('POST', '/api/conversations/' + c.id + '/accept'), { class: 'primary', id: 'accept' }) : null,
      el('label', { for: 'transfer-language', class: 'hint', text: 'Transfer to' }),
      languageSelect,
      act('Transfer', () => api('POST', '/api/conversations/' + c.id + '/transfer', { language: languageSelect.value }).then(() => { location.hash = ''; }), { id: 'transfer' }),
      act('Close', async () => {
        // Closing cannot be undone: the caller's next message starts a new conversation.
        if (!window.confirm('Close this conversation? The caller\'s next message will start a new one.')) return;
        await api('POST', '/api/conversations/' + c.id + '/close');
        location.hash = '';
      }, { class: 'danger', id: 'close' }),
    ].filter(Boolean));

    renderCalls(c);

    const transcript = document.getElementById('transcript');
    transcript.replaceChildren(...c.messages.map((m) =>
      el('li', { class: m.direction },
        el('span', { class: 'meta', text: (m.direction === 'in' ? (m.author === 'system' ? 'Phone line' : 'Caller') : (m.author || 'Counsellor')) + ' · ' + new Date(m.at).toLocaleTimeString()
          + (m.deliveryStatus && m.direction === 'out' ? ' · ' + m.deliveryStatus : '') }),
        el('span', { class: 'text', dir: 'auto', text: m.text }))));
    transcript.scrollTop = transcript.scrollHeight;
    const canReply = c.status === 'active' && c.reachable;
    document.getElementById('reply-text').disabled = !canReply;
    document.getElementById('reply-send').disabled = !canReply || state.sending;
  }

  // The conversation's phone calls: how each ended, and a voicemail to play and mark handled. Rebuilt only when the
  // calls change, so a voicemail being played is not cut off by the next refresh.
  function renderCalls(c) {
    const section = document.getElementById('calls');
    const calls = c.calls || [];
    const signature = JSON.stringify(calls);
    if (section.dataset.signature === signature) return;
    section.dataset.signature = signature;
    if (!calls.length) { section.replaceChildren(); return; }
    const seconds = (s) => s === null || s === undefined ? '' : s < 60 ? Math.floor(s) + ' s' : Math.floor(s / 60) + ' min ' + Math.floor(s % 60) + ' s';
    const outcomes = { Answered: 'answered', Voicemail: 'left a voicemail', CallbackRequested: 'asked for a callback',
      AbandonedWhileWaiting: 'hung up while waiting', AbandonedInMenu: 'hung up in the language menu' };
    const anyVoicemail = calls.some((call) => call.voicemailUrl);
    section.replaceChildren(...[el('h3', { text: 'Phone calls' }), el('ul', { class: 'calls' }, ...calls.map((call) => {
      const parts = [new Date(call.startedAt).toLocaleString(), call.outcome ? outcomes[call.outcome] || call.outcome : 'on the line now (' + call.phase + ')'];
      if (call.answeredBy) parts.push('by ' + call.answeredBy);
      if (call.waitedSeconds !== null && call.waitedSeconds !== undefined) parts.push('waited ' + seconds(call.waitedSeconds));
      if (call.talkedSeconds !== null && call.talkedSeconds !== undefined) parts.push('talked ' + seconds(call.talkedSeconds));
      const item = el('li', { class: 'call' }, el('span', { text: parts.join(' · ') }));
      if (call.voicemailUrl) {
        const status = el('span', { class: 'error', role: 'alert' });
        const play = el('button', { type: 'button', class: 'primary', text: 'Play voicemail (' + seconds(call.voicemailSeconds) + ')', onclick: async () => {
          status.textContent = '';
          try {
            const player = el('audio', { controls: true, src: await Staff.audio(call.voicemailUrl) });
            play.replaceWith(player);
            player.play().catch(() => {});
          } catch (err) { status.textContent = err.message; }
        } });
        item.append(' ', play, status);
      } else if (call.voicemailHandledAt) {
        item.append(el('span', { class: 'hint', text: ' · voicemail handled and deleted' }));
      }
      return item;
    })), anyVoicemail ? el('button', { type: 'button', id: 'voicemails-handled', text: 'Voicemail handled: delete it', onclick: async () => {
      if (!window.confirm('Delete the voicemail for good? It cannot be played again.')) return;
      try { await api('POST', '/api/conversations/' + c.id + '/voicemails/handled'); showError(null); await loadDetail(c.id); } catch (err) { showError(err); }
    } }) : null].filter(Boolean));
  }

  // The conversation's callback, as anyone holding it sees it: never the number, code word or cover story.
  async function loadCallback(id) {
    const callback = await api('GET', '/api/conversations/' + encodeURIComponent(id) + '/callback');
    const section = document.getElementById('callback');
    if (id !== state.openId || !section) return;
    const signature = JSON.stringify(callback);
    if (section.dataset.signature === signature) return;
    section.dataset.signature = signature;
    if (!callback) { section.replaceChildren(); return; }
    const status = { waiting: 'waiting for a safe time', released: 'due now' + (callback.releasedTo ? ' (' + callback.releasedTo + ' is to call)' : ''),
      closed: 'closed' + (callback.closedAs ? ': ' + words(callback.closedAs.replace(/[A-Z]/g, (m) => '-' + m.toLowerCase())) : ''), draft: 'being set up by the caller' };
    const open = callback.status !== 'closed';
    section.replaceChildren(el('h3', { text: 'Callback' }), el('dl', { class: 'recorded' },
      el('dt', { text: 'Status' }), el('dd', { id: 'callback-status', text: status[callback.status] || callback.status }),
      el('dt', { text: 'Safe times' }), el('dd', { text: callback.when || '—' }),
      el('dt', { text: 'Message' }), el('dd', { text: callback.mayLeaveMessage ? 'may be left' : 'do not leave one' }),
      el('dt', { text: 'Attempts' }), el('dd', { text: callback.attempts.length
        ? callback.attempts.map((a) => clock(a.at) + ' ' + a.counsellorId + ': ' + (OUTCOME_WORDS[a.outcome] || a.outcome || '—')).join('; ') : 'none yet' })),
      open ? el('button', { type: 'button', class: 'danger', id: 'callback-cancel', text: 'Cancel callback', onclick: async () => {
        if (!window.confirm('Cancel this callback? Its number and code word are destroyed.')) return;
        try { await api('POST', '/api/callbacks/' + encodeURIComponent(callback.id) + '/cancel'); showError(null); await loadCallback(id); tick(); } catch (err) { showError(err); }
      } }) : null);
  }

  // Ask for a callback for the caller: the number (typed, or the one they text from, which the app reads and this
  // page never sees), when it is safe in their words, whether a message may be left, a code word and a cover story.
  function callbackForm(c) {
    const status = el('p', { role: 'status', class: 'hint', id: 'callback-form-status' });
    const newSource = () => (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2));
    let source = newSource(); // the same while the form is resent; a new one once it is made
    const their = c.channel === 'sms' ? el('input', { type: 'checkbox', id: 'callback-theirs', onchange: (e) => { number.disabled = e.target.checked; } }) : null;
    const number = el('input', { id: 'callback-number', type: 'tel', autocomplete: 'off', spellcheck: 'false', placeholder: '+40 722 123 456' });
    const story = el('select', { id: 'callback-story' });
    const fill = (options) => story.replaceChildren(...options.coverStories.map((t) => el('option', { value: t, text: t })));
    if (state.callbackOptions) fill(state.callbackOptions);
    else api('GET', '/api/callbacks/options').then((o) => { state.callbackOptions = o; fill(o); }).catch(() => {});
    const form = el('form', { id: 'callback-form', onsubmit: async (e) => {
      e.preventDefault();
      const button = document.getElementById('callback-ask');
      if (button.disabled) return;
      button.disabled = true;
      try {
        const made = await api('POST', '/api/conversations/' + c.id + '/callbacks', {
          number: their && their.checked ? null : number.value.trim(), theirNumber: !!(their && their.checked),
          when: document.getElementById('callback-when').value.trim(), mayLeaveMessage: document.getElementById('callback-message').checked,
          codeWord: document.getElementById('callback-code').value.trim() || null, coverStory: story.value || null, source });
        source = newSource();
        number.value = '';
        document.getElementById('callback-code').value = '';
        status.textContent = 'Callback asked for: ' + made.when + '.';
        await loadCallback(c.id);
      } catch (err) { status.textContent = err.message; } finally { button.disabled = false; }
    } },
      their ? el('label', { class: 'switch', for: 'callback-theirs' }, their, el('span', { text: 'Call the number they text from (never shown here)' })) : null,
      el('div', { class: 'intake-grid' },
        el('label', { for: 'callback-number' }, 'Number to call', number),
        el('label', { for: 'callback-when' }, 'When it is safe (their words)', el('input', { id: 'callback-when', maxlength: 200, dir: 'auto', placeholder: 'after 8 pm, 20-22, tomorrow morning' })),
        el('label', { for: 'callback-code' }, 'Code word', el('input', { id: 'callback-code', maxlength: 40, autocomplete: 'off', dir: 'auto' })),
        el('label', { for: 'callback-story' }, 'If someone else answers', story)),
      el('label', { class: 'switch', for: 'callback-message' }, el('input', { type: 'checkbox', id: 'callback-message' }), el('span', { text: 'A message may be left' })),
      el('p', { class: 'hint', text: 'Nothing typed under "When" means waking hours, every day.' }),
      el('button', { type: 'submit', id: 'callback-ask', text: 'Ask for callback' }), status);
    return el('details', { class: 'callback-ask', id: 'callback-ask-panel' }, el('summary', { text: 'Ask for a callback' }), form);
  }

  function replyForm(c) {
    return el('form', { id: 'reply', onsubmit: async (e) => {
      e.preventDefault();
      const box = document.getElementById('reply-text');
      const send = document.getElementById('reply-send');
      const text = box.value.trim();
      if (!text || send.disabled) return;
      send.disabled = true; // one click, one reply (a refresh meanwhile keeps it off: state.sending)
      state.sending = true;
      try {
        await api('POST', '/api/conversations/' + c.id + '/messages', { text });
        if (box.value.trim() === text) box.value = ''; // keep anything typed meanwhile
        showError(null);
        await loadDetail(c.id);
      } catch (err) { showError(err); } finally {
        state.sending = false;
        send.disabled = !(state.detail && state.detail.status === 'active' && state.detail.reachable);
      }
    } },
      el('label', { for: 'reply-text', text: 'Reply' }),
      el('textarea', { id: 'reply-text', rows: 3, maxlength: 1600, dir: 'auto' }),
      el('div', { class: 'actions' }, el('button', { type: 'submit', class: 'primary', id: 'reply-send', text: 'Send' })));
  }

  // Why an offer came to you when you do not speak the language: nobody on call does, and the fallback chain chose you.
  function offerReason(c) {
    const hop = [...(c.hops || [])].reverse().find((h) => /^offered \(/.test(h.reason || ''));
    const tier = hop && (/^offered \(([a-z-]+)\)/.exec(hop.reason) || [])[1];
    if (!hop || !VIA[tier] || hop.counsellorId !== state.me.id || !['offered', 'active'].includes(c.status)) return null;
    return el('p', { class: 'badge warn', id: 'offer-reason', text: 'Offered to you ' + VIA[tier] + ': nobody on call speaks ' + languageName(c.language) + '.' });
  }

  // The partner directory for "Refer to": refilled while the console is open, so an agency added meanwhile appears.
  async function loadPartners(force) {
    const select = document.getElementById('referral-agency');
    if (!select || (!force && Date.now() - state.partnersAt < 10000)) return;
    state.partnersAt = Date.now();
    const partners = await api('GET', '/api/partners');
    const chosen = select.value;
    select.replaceChildren(...(partners.length ? partners.map((p) => el('option', { value: p.id, text: p.name + ' (' + p.id + ')' }))
      : [el('option', { value: '', text: 'No partner agencies yet' })]));
    if (partners.some((p) => p.id === chosen)) select.value = chosen;
  }

  // What was recorded for the emergency (after a reload too), and each referral's state: the partner's receipt shows.
  async function loadEscalation(conversationId, escalationId) {
    const x = await api('GET', '/api/escalations/' + encodeURIComponent(escalationId));
    const box = document.getElementById('emergency-recorded');
    if (conversationId !== state.openId || !box) return;
    const first = !state.escalation || state.escalation.id !== x.id;
    if (!first && JSON.stringify(state.escalation) === JSON.stringify(x)) return;
    state.escalation = x;
    if (first) { // the form starts from what was recorded; later refreshes leave what is being typed alone
      const fill = (id, value) => { const input = document.getElementById(id); if (input && !input.value && value) input.value = value; };
      fill('emergency-category', x.category);
      fill('emergency-location', x.facts && x.facts.location);
      fill('emergency-happening', x.facts && x.facts.happening);
      fill('emergency-atrisk', x.facts && x.facts.atRisk);
    }
    const time = (iso) => new Date(iso).toLocaleTimeString();
    const row = (label, ...value) => [el('dt', { text: label }), el('dd', {}, ...value)];
    const facts = x.facts || {};
    const referrals = x.referrals || [];
    box.replaceChildren(el('h3', { text: 'Recorded' }), el('dl', { class: 'recorded' },
      row('Category', x.category ? words(x.category) : 'not yet assessed'),
      row('Location, as given', el('span', { dir: 'auto', id: 'recorded-location', text: facts.location || '—' })),
      row('What is happening', el('span', { dir: 'auto', text: facts.happening || '—' })),
      row('Who is at risk', el('span', { dir: 'auto', text: facts.atRisk || '—' })),
      row('Indicators', (x.indicators || []).map(words).join(', ') || '—'),
      row('Consents', (x.consents || []).length ? el('ul', {}, x.consents.map((k) => el('li', {
        text: k.agencyId + ': ' + (k.givenBy === 'caller' ? 'the caller' : words(k.givenBy)) + ' ' + (k.how === 'typed' ? 'wrote so' : 'said so')
          + ' at ' + time(k.at) + '; may share ' + k.covers.map(words).join(', ') }))) : 'none yet'),
      row('Referrals', referrals.length ? el('ul', { id: 'referral-states' }, referrals.map((r) => el('li', { dataset: { status: r.status },
        text: r.agencyId + ': ' + (r.acknowledgedAt ? 'acknowledged at ' + time(r.acknowledgedAt)
          : r.status === 'overdue' ? 'not acknowledged in time (overdue)'
          : r.status === 'sent' ? 'delivered, waiting for acknowledgement' + (r.acknowledgeBy ? ' by ' + time(r.acknowledgeBy) : '')
          : 'being sent') }))) : 'none yet')));
  }

  // The emergency button: raise and assess the emergency, record the caller's consent for an agency, send the referral.
  function emergencyPanel(c) {
    const status = el('p', { role: 'status', class: 'hint', id: 'emergency-status' });
    const category = el('select', { id: 'emergency-category' }, el('option', { value: '', text: '—' }),
      ...['held-against-will', 'violence-now', 'medical', 'child-at-risk', 'suicide-risk', 'other'].map((o) => el('option', { value: o, text: words(o) })));
    const fact = (id, label) => el('label', { for: id }, label, el('input', { id, maxlength: 500, dir: 'auto' }));
    const agency = el('select', { id: 'referral-agency', onfocus: () => loadPartners(true).catch(() => {}) });
    const how = el('select', { id: 'consent-how' }, el('option', { value: 'verbal', text: 'said so' }), el('option', { value: 'typed', text: 'wrote so' }));
    const covers = ['category', 'location', 'happening', 'atRisk', 'language', 'callback'];
    let escalationId = c.escalationId || null;
    const current = () => escalationId || (state.detail && state.detail.id === c.id && state.detail.escalationId) || null;
    // One request at a time per form: a double click must not send a referral twice.
    const run = (fn) => async (e) => {
      e.preventDefault();
      const button = e.target.querySelector('button[type=submit]');
      if (button.disabled) return;
      button.disabled = true;
      try { status.textContent = await fn(); } catch (err) { status.textContent = err.message; } finally { button.disabled = false; }
    };
    const alerted = (a) => !a ? ''
      : a.via === 'sms' ? ' The supervisor on duty was texted (' + a.numbers + (a.numbers === 1 ? ' number' : ' numbers') + ') and sees it on the supervisor board.'
      : ' No supervisor phone is set up: the alert shows on the supervisor board only.';
    state.partnersAt = 0;
    return el('details', { class: 'emergency', open: !!c.escalationId, ontoggle: (e) => {
      if (!e.target.open) return;
      loadPartners(true).catch(() => {});
      if (current()) loadEscalation(c.id, current()).catch(() => {});
    } },
      el('summary', { text: 'Emergency' }),
      el('form', { id: 'emergency', onsubmit: run(async () => {
        const value = (id) => document.getElementById(id).value.trim() || null;
        const x = await api('POST', '/api/conversations/' + c.id + '/emergency', {
          category: value('emergency-category'),
          facts: { location: value('emergency-location'), happening: value('emergency-happening'), atRisk: value('emergency-atrisk') },
          // The forced-labour indicators ticked in the intake form go with the emergency.
          indicators: INDICATORS.filter((i) => { const box = document.getElementById('indicator-' + i); return box && box.checked; }),
        });
        escalationId = x.id;
        loadEscalation(c.id, x.id).catch(() => {});
        return 'Emergency recorded (' + x.id + ').' + alerted(x.supervisorAlert);
      }) },
        el('div', { class: 'intake-grid' }, el('label', { for: 'emergency-category' }, 'Category', category),
          fact('emergency-location', 'Location, as given'), fact('emergency-happening', 'What is happening'), fact('emergency-atrisk', 'Who is at risk')),
        el('button', { type: 'submit', class: 'danger', id: 'emergency-raise', text: 'Raise emergency' })),
      el('form', { id: 'referral', onsubmit: run(async () => {
        const id = current();
        if (!id) throw new Error('Raise the emergency first.');
        if (!agency.value) throw new Error('Choose the agency the caller agreed to.');
        const chosen = covers.filter((f) => document.getElementById('consent-' + f).checked);
        await api('POST', '/api/escalations/' + id + '/consents', { agencyId: agency.value, givenBy: 'caller', how: how.value, covers: chosen });
        const referral = await api('POST', '/api/escalations/' + id + '/referrals', { agencyId: agency.value });
        loadEscalation(c.id, id).catch(() => {});
        return 'Consent recorded; referral ' + referral.id + ' is being sent to ' + agency.value + '.';
      }) },
        el('div', { class: 'intake-grid' }, el('label', { for: 'referral-agency' }, 'Refer to', agency), el('label', { for: 'consent-how' }, 'The caller agreed: they', how)),
        el('fieldset', { class: 'checks' }, el('legend', { text: 'What the caller agreed to share with this agency' }),
          covers.map((f) => el('label', { for: 'consent-' + f }, el('input', { type: 'checkbox', id: 'consent-' + f }), words(f)))),
        el('button', { type: 'submit', id: 'referral-send', text: 'Record consent and send referral' })),
      status,
      el('div', { id: 'emergency-recorded', 'aria-live': 'polite' }));
  }

  function intakeForm(c) {
    const saved = c.intake || {};
    const status = el('p', { role: 'status', class: 'hint' });
    const field = (name) => {
      const [label, options] = INTAKE[name];
      const select = el('select', { id: 'intake-' + name, name }, el('option', { value: '', text: '—' }),
        ...options.map((o) => el('option', { value: o, text: words(o) })));
      select.value = saved[name] || '';
      return el('label', { for: 'intake-' + name }, label, select);
    };
    const checkbox = (id, label, checked) => el('label', { for: id }, el('input', { type: 'checkbox', id, checked: !!checked }), label);
    const indicators = el('fieldset', { class: 'checks' }, el('legend', { text: 'Indicators of forced labour (ILO)' }),
      INDICATORS.map((i) => checkbox('indicator-' + i, words(i), (saved.indicators || []).includes(i))));
    const form = el('form', { id: 'intake', onsubmit: async (e) => {
      e.preventDefault();
      const value = (id) => document.getElementById(id).value;
      const body = {
        callerApproved: document.getElementById('intake-approved').checked,
        nationality: value('intake-nationality'), note: value('intake-note'),
        indicators: INDICATORS.filter((i) => document.getElementById('indicator-' + i).checked),
        repeatContact: document.getElementById('intake-repeat').checked, complicatedCase: document.getElementById('intake-complicated').checked,
      };
      for (const name of Object.keys(INTAKE)) body[name] = value('intake-' + name);
      if (!body.callerApproved) {
        status.textContent = 'Nothing was saved: tick "The caller agreed to these details being recorded" first. Intake is recorded only with the caller\'s approval.';
        return;
      }
      try { await api('PUT', '/api/conversations/' + c.id + '/intake', body); status.textContent = 'Saved.'; } catch (err) { status.textContent = err.message; }
    } },
      checkbox('intake-approved', 'The caller agreed to these details being recorded', !!c.intake),
      el('div', { class: 'intake-grid' }, Object.keys(INTAKE).map(field),
        el('label', { for: 'intake-nationality' }, 'Nationality', el('input', { id: 'intake-nationality', maxlength: 80, value: saved.nationality || '' }))),
      indicators,
      el('label', { for: 'intake-note', text: 'Note' }), el('textarea', { id: 'intake-note', rows: 3, maxlength: 2000, dir: 'auto' }),
      el('div', { class: 'checks' }, checkbox('intake-repeat', 'Repeat contact', saved.repeatContact || c.callerContacts > 1),
        checkbox('intake-complicated', 'Complicated case', saved.complicatedCase)),
      el('button', { type: 'submit', id: 'intake-save', text: 'Save intake' }), status);
    form.querySelector('#intake-note').value = saved.note || '';
    return el('details', { class: 'intake', open: !!c.intake }, el('summary', { text: 'Intake (only with the caller\'s approval)' }), form);
  }

  Staff.signIn(main, 'counsellor', start);
})();
