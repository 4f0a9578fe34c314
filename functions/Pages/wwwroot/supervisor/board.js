'use strict';
// The supervisor board: who is waiting, language coverage, counsellor load, the roster and two charts.
// Everything that comes from the API goes on the page as text (Staff.el's `text`, textContent), never as HTML.
(function () {
  const el = Staff.el;
  const $ = (id) => document.getElementById(id);
  const NS = 'http://www.w3.org/2000/svg';
  // Okabe-Ito palette: stays distinguishable with the common kinds of colour blindness.
  const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#000000', '#F0E442'];
  const CHANNELS = [{ key: 'sms', name: 'SMS', color: '#0072B2' }, { key: 'chat', name: 'Chat', color: '#E69F00' }, { key: 'voice', name: 'Voice', color: '#009E73' }];
  const BOARD_MS = 3000, HISTORY_MS = 60000, WARN_SECONDS = 120, HOUR = 3600000, DAY = 86400000;
  const W = 640, H = 280, L = 50, R = 12, T = 12, B = 46, PW = W - L - R, PH = H - T - B;
  const main = $('main');
  const errors = {};
  let run = 0; // bumped on sign-in and sign-out: answers that arrive for an older run are dropped
  let timers = {};
  let names = new Map(); // language code -> name, from the last board
  let roster = [];

  // ---------- helpers ----------
  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(NS, tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === 'text') node.textContent = value;
      else node.setAttribute(key, value);
    }
    for (const child of children) if (child) node.append(child);
    return node;
  }
  const hint = (text) => el('p', { class: 'hint', text });
  const langLabel = (code) => (names.get(code) ? names.get(code) + ' (' + code + ')' : String(code));
  const codes = (text) => text.split(/[\s,;]+/).map((c) => c.trim().toLowerCase()).filter(Boolean);
  const num = (v) => String(Number(v.toFixed(2)));
  function duration(seconds) {
    if (!Number.isFinite(seconds)) return '';
    seconds = Math.max(0, Math.round(seconds));
    if (seconds < 60) return seconds + ' s';
    if (seconds < 3600) return Math.floor(seconds / 60) + ' min';
    return Math.floor(seconds / 3600) + ' h ' + Math.floor((seconds % 3600) / 60) + ' min';
  }
  function table(caption, headers, rows) {
    return el('div', { class: 'scroll' }, el('table', {},
      el('caption', { class: 'sr-only', text: caption }),
      el('thead', {}, el('tr', {}, headers.map((h) => el('th', { scope: 'col', text: h })))),
      el('tbody', {}, rows)));
  }
  function section(id, title, wide, ...children) {
    return el('section', { id, class: wide ? 'panel wide' : 'panel', 'aria-labelledby': id + '-h' },
      el('h2', { id: id + '-h', text: title }), ...children);
  }
  function setError(key, message) {
    errors[key] = message;
    const alert = $('board-alert');
    if (alert) alert.textContent = Object.values(errors).filter(Boolean).join(' ');
  }
  function poll(key, load, ms) {
    const mine = run;
    const tick = async () => {
      await load(mine);
      if (mine === run) timers[key] = setTimeout(tick, ms);
    };
    tick();
  }
  function stop() {
    run++;
    Object.values(timers).forEach(clearTimeout);
    timers = {};
  }

  // ---------- sign-in and sign-out ----------
  function showSignIn() {
    $('who').hidden = true;
    $('user-id').textContent = '';
    Staff.signIn(main, 'supervisor', onSignedIn);
  }
  Staff.onSignedOut(() => { stop(); showSignIn(); });
  $('signout').addEventListener('click', () => Staff.signOut());

  function onSignedIn(user) {
    stop();
    for (const key of Object.keys(errors)) delete errors[key];
    $('user-id').textContent = user.id;
    $('who').hidden = false;
    main.replaceChildren(
      el('div', { class: 'status' }, el('p', { id: 'board-alert', class: 'error', role: 'alert' }), el('p', { id: 'updated', class: 'hint' })),
      el('div', { class: 'board' },
        section('emergencies', 'Emergencies', true, el('div', { id: 'emergencies-body' }, hint('Loading…'))),
        section('waiting', 'Waiting now', false, el('div', { id: 'waiting-body' }, hint('Loading…'))),
        section('calls', 'Phone calls', false, el('div', { id: 'calls-body' }, hint('Loading…'))),
        section('callbacks', 'Callbacks', false, el('div', { id: 'callbacks-body' }, hint('Loading…'))),
        section('coverage', 'Coverage', false, el('div', { id: 'coverage-body' }, hint('Loading…'))),
        section('counsellors', 'Counsellors', true, el('div', { id: 'counsellors-body' }, hint('Loading…'))),
        section('roster', 'Roster', true,
          el('div', { class: 'tools' }, el('button', { type: 'button', id: 'roster-add', text: 'Add counsellor', onclick: (e) => openForm(null, e.currentTarget) })),
          el('div', { id: 'roster-form' }),
          el('p', { id: 'roster-error', class: 'error', role: 'alert' }),
          el('div', { id: 'roster-list' }, hint('Loading…'))),
        section('charts', 'Last 24 hours / Last 14 days', true, el('div', { id: 'charts-body', class: 'charts' }, hint('Loading…')))));
    poll('board', loadBoard, BOARD_MS);
    poll('history', loadHistory, HISTORY_MS);
    loadRoster();
  }

  // ---------- live board ----------
  async function loadBoard(mine) {
    try {
      const board = await Staff.api('GET', '/api/board');
      if (mine !== run) return;
      renderBoard(board || {});
      setError('board', '');
    } catch (err) {
      if (mine === run) setError('board', 'Could not refresh the board: ' + err.message);
    }
  }

  function renderBoard(board) {
    names = new Map((board.languages || []).map((l) => [l.code, l.name]));
    const at = Date.parse(board.at) || Date.now(); // waits are measured against the server's clock
    $('updated').textContent = 'Updated ' + new Date(at).toLocaleTimeString();

    // Emergencies first: open conversations raised as emergencies, oldest first.
    const emergencies = board.emergencies || [];
    $('emergencies-body').replaceChildren(emergencies.length
      ? table('Open emergencies', ['Conversation', 'Language', 'Status', 'Counsellor', 'Raised'], emergencies.map((e) =>
        el('tr', { class: 'late' },
          el('td', {}, el('span', { class: 'badge gap', text: 'emergency' }), ' ', el('span', { class: 'mono', title: e.conversationId, text: Staff.conversationName(e.conversationId) })),
          el('td', { text: langLabel(e.language) }),
          el('td', { text: e.status }),
          el('td', { text: e.assignedTo || 'nobody yet' }),
          el('td', { text: duration((at - Date.parse(e.since)) / 1000) + ' ago' }))))
      : hint('No open emergencies.'));

    const waiting = (board.waiting || []).filter((w) => w.count > 0)
      .sort((a, b) => Date.parse(a.oldestSince) - Date.parse(b.oldestSince));
    $('waiting-body').replaceChildren(waiting.length
      ? table('Conversations waiting for a counsellor, per language', ['Language', 'Waiting', 'Oldest wait'], waiting.map((w) => {
        const seconds = (at - Date.parse(w.oldestSince)) / 1000;
        const late = seconds > WARN_SECONDS;
        return el('tr', { class: late ? 'late' : '' },
          el('td', { text: langLabel(w.language) }),
          el('td', { class: 'num', text: String(w.count) }),
          el('td', {}, late ? [el('span', { class: 'badge warn', text: duration(seconds) }), el('span', { class: 'sr-only', text: ' (over 2 minutes)' })] : duration(seconds)));
      }))
      : hint('Nobody is waiting.'));

    // Phone calls: callers on the line waiting for a person now, and how the last day's calls ended.
    const calls = board.calls || [];
    $('calls-body').replaceChildren(calls.length
      ? table('Phone calls per language: waiting now, and the last 24 hours',
        ['Language', 'Waiting now', 'Longest wait', 'Answered', 'Abandoned while waiting', 'Abandoned in menu', 'Voicemail or callback'],
        calls.map((c) => {
          const seconds = c.oldestWaitingSince ? (at - Date.parse(c.oldestWaitingSince)) / 1000 : 0;
          return el('tr', { class: c.waiting > 0 || c.abandonedWhileWaiting > 0 ? 'late' : '' },
            el('td', { text: langLabel(c.language) }),
            el('td', { class: 'num', text: String(c.waiting) }),
            el('td', { text: c.waiting > 0 ? duration(seconds) : '–' }),
            el('td', { class: 'num', text: String(c.answered) }),
            el('td', { class: 'num' }, c.abandonedWhileWaiting > 0 ? el('span', { class: 'badge warn', text: String(c.abandonedWhileWaiting) }) : '0'),
            el('td', { class: 'num', text: String(c.abandonedInMenu) }),
            el('td', { class: 'num', text: String(c.followUps) }));
        }))
      : hint('No phone calls in the last 24 hours.'));

    // Callbacks: due now (inside the caller's safe window), overdue, later; and how the last 7 days' attempts went.
    const callbacks = board.callbacks || [];
    $('callbacks-body').replaceChildren(callbacks.length
      ? table('Callbacks per language: due now, and the last 7 days\' outcomes',
        ['Language', 'Due now', 'Overdue', 'Later', 'Reached', 'Not safe (cover story)', 'No answer', 'Wrong number', 'Ended unreached'],
        callbacks.map((c) => el('tr', { class: c.overdue > 0 ? 'late' : '' },
          el('td', { text: langLabel(c.language) }),
          el('td', { class: 'num', text: String(c.due) }),
          el('td', { class: 'num' }, c.overdue > 0 ? [el('span', { class: 'badge warn', text: String(c.overdue) }), el('span', { class: 'sr-only', text: ' (due 15 minutes or more)' })] : '0'),
          el('td', { class: 'num', text: String(c.later) }),
          el('td', { class: 'num', text: String(c.reached) }),
          el('td', { class: 'num', text: String(c.reachedNotSafe) }),
          el('td', { class: 'num', text: String(c.noAnswer) }),
          el('td', { class: 'num', text: String(c.wrongNumber) }),
          el('td', { class: 'num', text: String(c.endedUnreached) }))))
      : hint('No callbacks open or made in the last 7 days.'));

    const coverage = new Map((board.coverage || []).map((c) => [c.language, c]));
    const all = [...new Set([...names.keys(), ...coverage.keys()])];
    $('coverage-body').replaceChildren(all.length
      ? table('On-call counsellors per language', ['Language', 'On call'], all.map((code) => {
        const c = coverage.get(code) || {};
        const onCall = c.onCall || [];
        // Only those on call with their console open are offered conversations: the others are named as such.
        const present = new Set(c.present || []);
        const gap = typeof c.gap === 'boolean' ? c.gap : onCall.length === 0;
        const unseen = !gap && present.size === 0;
        const names = onCall.map((id) => present.has(id) ? id : id + ' (console closed)').join(', ');
        return el('tr', { class: gap || unseen ? 'gap' : '' },
          el('td', { text: langLabel(code) }),
          el('td', {}, onCall.length ? names : 'nobody',
            gap ? [' ', el('span', { class: 'badge gap', text: 'no one on call' })]
              : unseen ? [' ', el('span', { class: 'badge gap', text: 'no console open' })] : null));
      }))
      : hint('No languages are configured.'));

    const counsellors = board.counsellors || [];
    $('counsellors-body').replaceChildren(counsellors.length
      ? table('Counsellors and their open conversations', ['Name', 'On call', 'Console', 'Languages', 'Open / capacity'], counsellors.map((c) => el('tr', {},
        el('td', {}, el('span', { text: c.displayName || c.id }), el('small', { class: 'id', text: c.id })),
        el('td', { text: c.onCall ? 'yes' : 'no' }),
        el('td', { class: 'console-state', text: c.present ? 'open' : c.lastSeenAt ? 'closed (seen ' + Staff.since(c.lastSeenAt) + ' ago)' : 'not opened' }),
        el('td', { text: (c.languages || []).join(', ') }),
        el('td', { class: 'load' }, el('span', { text: (c.open || 0) + ' / ' + (c.capacity || 0) }), loadBar(c.open || 0, c.capacity || 0)))))
      : hint('Nobody is on the roster.'));
  }

  function loadBar(open, capacity) {
    const ratio = capacity > 0 ? Math.min(1, open / capacity) : (open > 0 ? 1 : 0);
    return svg('svg', { class: 'bar', width: 80, height: 10, viewBox: '0 0 80 10', 'aria-hidden': 'true', focusable: 'false' },
      svg('rect', { x: 0, y: 0, width: 80, height: 10, rx: 2, fill: '#e3e7eb' }),
      svg('rect', { class: ratio >= 1 ? 'full' : 'part', x: 0, y: 0, width: Math.round(80 * ratio), height: 10, rx: 2, fill: '#0072B2' }));
  }

  // ---------- roster ----------
  async function loadRoster(focusId) {
    const mine = run;
    try {
      const list = await Staff.api('GET', '/api/roster');
      if (mine !== run) return;
      roster = list || [];
      $('roster-error').textContent = '';
      const box = $('roster-list');
      box.replaceChildren(roster.length
        ? table('Roster', ['Id', 'Name', 'Languages', 'Capacity', 'On call', 'Interpreter', 'Supervisor on duty', 'Phone', 'Edit'], roster.map((c) => el('tr', {},
          el('td', { text: c.id }),
          el('td', { text: c.displayName }),
          el('td', { text: (c.languages || []).join(', ') }),
          el('td', { class: 'num', text: String(c.capacity) }),
          el('td', { text: c.onCall ? 'yes' : 'no' }),
          el('td', { text: ((c.interpreterLanguages || []).join(', ') || '–') + (c.bringsInterpreter ? '; brings an interpreter' : '') }),
          el('td', { text: c.supervisorOnDuty ? 'yes' : 'no' }),
          el('td', { text: c.maskedPhoneNumber ? c.maskedPhoneNumber + (c.takesCallsOnPhone ? '; takes calls on it' : '') : '–' }),
          el('td', {}, el('button', { type: 'button', text: 'Edit', 'aria-label': 'Edit ' + c.id, dataset: { id: c.id }, onclick: (e) => openForm(c, e.currentTarget) })))))
        : hint('Nobody is on the roster yet.'));
      if (focusId) {
        const button = [...box.querySelectorAll('button[data-id]')].find((b) => b.dataset.id === focusId);
        (button || $('roster-add')).focus();
      }
    } catch (err) {
      if (mine === run) $('roster-error').textContent = 'Could not load the roster: ' + err.message;
    }
  }

  function openForm(counsellor, opener) {
    const editing = !!counsellor;
    const c = counsellor || { id: '', displayName: '', languages: [], capacity: 2, onCall: false, interpreterLanguages: [], bringsInterpreter: false, supervisorOnDuty: false };
    const mine = run;
    const known = [...names.keys()].join(', ');
    const codesHint = 'Comma-separated codes, e.g. ro, en.' + (known ? ' This hotline: ' + known + '.' : '');
    const input = (id, props) => el('input', Object.assign({ id, autocomplete: 'off' }, props));
    const f = {
      id: input('rf-id', { value: c.id, readonly: editing, maxlength: 64, spellcheck: 'false', 'aria-describedby': 'rf-id-hint' }),
      name: input('rf-name', { value: c.displayName, maxlength: 100 }),
      languages: input('rf-languages', { value: (c.languages || []).join(', '), spellcheck: 'false', 'aria-describedby': 'rf-codes-hint' }),
      capacity: input('rf-capacity', { type: 'number', min: 0, max: 50, step: 1, inputmode: 'numeric', value: String(c.capacity) }),
      onCall: input('rf-oncall', { type: 'checkbox', checked: !!c.onCall }),
      interpreter: input('rf-interpreter', { value: (c.interpreterLanguages || []).join(', '), spellcheck: 'false', 'aria-describedby': 'rf-codes-hint' }),
      brings: input('rf-brings', { type: 'checkbox', checked: !!c.bringsInterpreter }),
      supervisor: input('rf-supervisor', { type: 'checkbox', checked: !!c.supervisorOnDuty }),
      // Shown only masked: a number is typed in full to set or change it; left empty, the phone stays as it is.
      phone: input('rf-phone', { type: 'tel', spellcheck: 'false', placeholder: c.maskedPhoneNumber || '+44 7700 900123', 'aria-describedby': 'rf-phone-hint' }),
      phoneCalls: input('rf-phone-calls', { type: 'checkbox', checked: !!c.takesCallsOnPhone }),
      phoneRemove: input('rf-phone-remove', { type: 'checkbox', disabled: !c.maskedPhoneNumber }),
    };
    const field = (node, label, extra) => el('div', { class: 'field' }, el('label', { for: node.id, text: label }), node, extra);
    const check = (node, label) => el('div', { class: 'field check' }, node, el('label', { for: node.id, text: label }));
    const status = el('p', { class: 'error wide-row', role: 'alert' });
    const saveButton = el('button', { type: 'submit', class: 'primary', text: 'Save' });
    const close = (focus) => {
      $('roster-form').replaceChildren();
      if (focus && focus.isConnected) focus.focus();
    };

    async function save(e) {
      e.preventDefault();
      status.textContent = '';
      const id = f.id.value.trim();
      const capacity = Number(f.capacity.value);
      let problem = null;
      if (!/^[A-Za-z0-9._@-]{1,64}$/.test(id)) problem = "The id must be 1–64 letters, digits, '.', '_', '-' or '@'.";
      else if (!editing && roster.some((r) => r.id === id)) problem = id + ' is already on the roster; use its Edit button.';
      else if (f.capacity.value === '' || !Number.isInteger(capacity) || capacity < 0 || capacity > 50) problem = 'Capacity must be a whole number from 0 to 50.';
      if (problem) { status.textContent = problem; return; }
      const body = {
        displayName: f.name.value.trim(),
        languages: codes(f.languages.value),
        onCall: f.onCall.checked,
        capacity,
        interpreterLanguages: codes(f.interpreter.value),
        bringsInterpreter: f.brings.checked,
        supervisorOnDuty: f.supervisor.checked,
      };
      saveButton.disabled = true;
      try {
        await Staff.api('PUT', '/api/roster/' + encodeURIComponent(id), body);
        const phone = f.phoneRemove.checked ? { phoneNumber: null }
          : f.phone.value.trim() ? { phoneNumber: f.phone.value.trim(), takesCallsOnPhone: f.phoneCalls.checked }
          : f.phoneCalls.checked !== !!c.takesCallsOnPhone ? { takesCallsOnPhone: f.phoneCalls.checked } : null;
        if (phone) await Staff.api('PUT', '/api/roster/' + encodeURIComponent(id) + '/phone', phone);
        if (mine !== run) return;
        close(null);
        loadRoster(id);
      } catch (err) {
        if (mine === run) status.textContent = err.message;
      } finally {
        saveButton.disabled = false;
      }
    }

    const form = el('form', { class: 'roster-form', novalidate: true, 'aria-labelledby': 'rf-title', onsubmit: save,
      onkeydown: (e) => { if (e.key === 'Escape') close(opener); } },
      el('h3', { id: 'rf-title', class: 'wide-row', text: editing ? 'Edit ' + c.id : 'Add counsellor' }),
      field(f.id, 'Id', el('span', { id: 'rf-id-hint', class: 'hint', text: editing ? 'The id cannot be changed.' : 'Their sign-in id: letters, digits, . _ - @' })),
      field(f.name, 'Display name'),
      field(f.languages, 'Languages'),
      field(f.capacity, 'Capacity (0–50 open conversations)'),
      field(f.interpreter, 'Interpreter languages'),
      el('p', { id: 'rf-codes-hint', class: 'hint wide-row', text: codesHint }),
      check(f.onCall, 'On call'),
      check(f.brings, 'Brings an interpreter'),
      check(f.supervisor, 'Supervisor on duty'),
      field(f.phone, c.maskedPhoneNumber ? 'New phone number' : 'Phone number'),
      el('p', { id: 'rf-phone-hint', class: 'hint wide-row', text: 'International form: + and the country code. Shown only as its last four digits; leave empty to keep it.' }),
      check(f.phoneCalls, 'Takes calls on the phone without the console open'),
      check(f.phoneRemove, 'Remove the phone'),
      el('div', { class: 'actions wide-row' }, saveButton, el('button', { type: 'button', text: 'Cancel', onclick: () => close(opener) })),
      status);
    $('roster-form').replaceChildren(form);
    (editing ? f.name : f.id).focus();
  }

  // ---------- charts ----------
  async function loadHistory(mine) {
    try {
      const history = await Staff.api('GET', '/api/board/history');
      if (mine !== run) return;
      $('charts-body').replaceChildren(waitChart((history && history.waitsByLanguage) || []), dayChart((history && history.contactsByDay) || []));
      setError('history', '');
    } catch (err) {
      if (mine === run) setError('history', 'Could not load the charts: ' + err.message);
    }
  }

  function niceStep(max, minStep) {
    const rough = Math.max(max / 4, minStep);
    const p = Math.pow(10, Math.floor(Math.log10(rough)));
    return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= rough - 1e-9);
  }

  // An empty frame: title, y grid with ticks, axis titles. Returns the root and the y scale.
  function frame(title, summary, xTitle, yTitle, yMax) {
    const root = svg('svg', { class: 'chart', viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': summary }, svg('title', { text: title }));
    const y = (v) => T + PH - (v / yMax) * PH;
    for (let i = 0; i <= 4; i++) {
      const v = (yMax * i) / 4;
      root.append(svg('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), stroke: i ? '#e3e7eb' : '#4a5560' }),
        svg('text', { class: 'tick', x: L - 6, y: y(v) + 4, 'text-anchor': 'end', text: num(v) }));
    }
    root.append(svg('line', { x1: L, x2: L, y1: T, y2: T + PH, stroke: '#4a5560' }),
      svg('text', { class: 'axis', x: L + PW / 2, y: H - 4, 'text-anchor': 'middle', text: xTitle }),
      svg('text', { class: 'axis', x: 14, y: T + PH / 2, 'text-anchor': 'middle', transform: 'rotate(-90 14 ' + (T + PH / 2) + ')', text: yTitle }));
    return { root, y };
  }
  const xTick = (root, x, label) => root.append(svg('text', { class: 'tick', x, y: T + PH + 16, 'text-anchor': 'middle', text: label }));
  const empty = (root) => root.append(svg('text', { class: 'empty', x: L + PW / 2, y: T + PH / 2, 'text-anchor': 'middle', text: 'No contacts yet.' }));

  function legend(items) {
    return el('ul', { class: 'legend' }, items.map((item) => el('li', {},
      svg('svg', { width: 14, height: 14, viewBox: '0 0 14 14', 'aria-hidden': 'true', focusable: 'false' }, svg('rect', { width: 14, height: 14, rx: 2, fill: item.color })),
      el('span', { text: item.label }))));
  }

  function figure(title, chart, legendItems) {
    return el('figure', { class: 'chart-box' }, el('h3', { text: title }), el('div', { class: 'scroll' }, chart), legendItems.length ? legend(legendItems) : null);
  }

  function waitChart(series) {
    const title = 'Average wait to acceptance per language, last 24 h';
    const parsed = series.map((s, i) => ({ code: s.language, color: PALETTE[i % PALETTE.length],
      points: (s.points || []).map((p) => ({ t: Date.parse(p.hour), minutes: (p.averageWaitSeconds || 0) / 60, count: p.count || 0 })).filter((p) => Number.isFinite(p.t)) }));
    let end = Math.floor(Date.now() / HOUR) * HOUR;
    for (const s of parsed) for (const p of s.points) end = Math.max(end, Math.floor(p.t / HOUR) * HOUR);
    const start = end - 23 * HOUR;
    for (const s of parsed) s.points = s.points.filter((p) => p.t >= start).sort((a, b) => a.t - b.t);
    const shown = parsed.filter((s) => s.points.length);
    const max = Math.max(0, ...shown.flatMap((s) => s.points.map((p) => p.minutes)));
    const yMax = niceStep(max, 0.25) * 4;
    const summary = shown.length
      ? title + ': ' + shown.map((s) => {
        const n = s.points.reduce((a, p) => a + p.count, 0);
        const avg = n ? s.points.reduce((a, p) => a + p.minutes * p.count, 0) / n : 0;
        return s.code + ' ' + num(avg) + ' min over ' + n + ' contacts';
      }).join('; ') + '.'
      : title + ': no contacts yet.';
    const { root, y } = frame(title, summary, 'Hour (local time)', 'Average wait (min)', yMax);
    const slot = PW / 24;
    const x = (t) => L + ((t - start) / HOUR + 0.5) * slot;
    const hh = (t) => { const d = new Date(t); return String(d.getHours()).padStart(2, '0') + ':' + String(d.getMinutes()).padStart(2, '0'); };
    for (let i = 2; i < 24; i += 3) xTick(root, x(start + i * HOUR), hh(start + i * HOUR));
    if (!shown.length) empty(root);
    for (const s of shown) {
      // Lines join consecutive hours only: an hour without contacts leaves a gap.
      let seg = [];
      const flush = () => {
        if (seg.length > 1) root.append(svg('polyline', { points: seg.map((p) => x(p.t) + ',' + y(p.minutes)).join(' '), fill: 'none', stroke: s.color, 'stroke-width': 2 }));
        seg = [];
      };
      s.points.forEach((p, i) => { if (i && p.t - s.points[i - 1].t !== HOUR) flush(); seg.push(p); });
      flush();
      for (const p of s.points) {
        root.append(svg('circle', { cx: x(p.t), cy: y(p.minutes), r: 3.5, fill: s.color },
          svg('title', { text: s.code + ', ' + hh(p.t) + ': ' + num(p.minutes) + ' min average, ' + p.count + ' contacts' })));
      }
    }
    return figure(title, root, shown.map((s) => ({ color: s.color, label: s.code })));
  }

  function dayChart(days) {
    const title = 'Contacts per channel per day, last 14 days';
    const byDay = new Map(days.map((d) => [d.day, d]));
    let last = Math.floor(Date.now() / DAY) * DAY;
    for (const d of days) { const t = Date.parse(d.day); if (Number.isFinite(t)) last = Math.max(last, t); }
    const slots = [];
    for (let i = 13; i >= 0; i--) {
      const t = last - i * DAY;
      const row = byDay.get(new Date(t).toISOString().slice(0, 10)) || {};
      const counts = CHANNELS.map((ch) => Math.max(0, Number(row[ch.key]) || 0));
      slots.push({ t, counts, total: counts.reduce((a, b) => a + b, 0) });
    }
    const label = (t, month) => new Date(t).toLocaleDateString(undefined, { day: 'numeric', month, timeZone: 'UTC' });
    const total = slots.reduce((a, s) => a + s.total, 0);
    const busiest = slots.reduce((a, s) => (s.total > a.total ? s : a), slots[0]);
    const summary = total
      ? title + ': ' + total + ' in total (' + CHANNELS.map((ch, i) => ch.name + ' ' + slots.reduce((a, s) => a + s.counts[i], 0)).join(', ') +
        '); busiest day ' + label(busiest.t, 'short') + ' with ' + busiest.total + '.'
      : title + ': no contacts yet.';
    const yMax = niceStep(Math.max(...slots.map((s) => s.total)), 1) * 4;
    const { root, y } = frame(title, summary, 'Day (UTC)', 'Contacts', yMax);
    const slot = PW / 14;
    slots.forEach((s, i) => {
      const x = L + i * slot + slot * 0.2;
      xTick(root, L + (i + 0.5) * slot, label(s.t, 'numeric'));
      let base = 0;
      CHANNELS.forEach((ch, c) => {
        if (!s.counts[c]) return;
        root.append(svg('rect', { x, y: y(base + s.counts[c]), width: slot * 0.6, height: y(base) - y(base + s.counts[c]), fill: ch.color, stroke: '#fff', 'stroke-width': 1 },
          svg('title', { text: label(s.t, 'short') + ': ' + s.counts[c] + ' ' + ch.name })));
        base += s.counts[c];
      });
    });
    if (!total) empty(root);
    return figure(title, root, CHANNELS.map((ch) => ({ color: ch.color, label: ch.name })));
  }

  showSignIn();
})();
