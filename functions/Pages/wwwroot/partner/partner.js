'use strict';
// A partner agency's page: only the referrals addressed to it, with their deadline, what each one says (the packet
// the hotline sent, exactly as sent), and acknowledging receipt. The packet is fetched only when the agency opens a
// referral (each look is logged by the hotline), never by the list's refresh.
(function () {
  const { el, api } = Staff;
  const main = document.getElementById('main');
  const signOutButton = document.getElementById('sign-out');
  let timer = null;
  let loading = false;
  let again = false;
  let openId = null;
  let generation = 0; // a new one at each sign-out, so a load still running for the previous agency draws nothing
  signOutButton.addEventListener('click', () => Staff.signOut());
  Staff.onSignedOut(() => {
    clearTimeout(timer);
    generation++;
    openId = null;
    signOutButton.hidden = true;
    document.getElementById('agency').textContent = '';
    Staff.signIn(main, 'partner', start);
  });

  // The packet's fields, in the order an agency acts on them.
  const words = (code) => String(code).replace(/-/g, ' ');
  const sentence = (code) => words(code).replace(/^./, (c) => c.toUpperCase());
  const languageName = (code) => {
    try { const name = new Intl.DisplayNames(['en'], { type: 'language' }).of(code); return name && name !== code ? name + ' (' + code + ')' : code; } catch { return code; }
  };
  const fields = [
    ['urgency', 'Urgency', sentence],
    ['category', 'What kind of emergency', sentence],
    ['location', 'Location, as given', String],
    ['happening', 'What is happening', String],
    ['atRisk', 'Who is at risk', String],
    ['language', 'Language of the person', languageName],
    ['callback', 'To reach the person', (v) => 'Through ' + v.via + ', quoting ' + v.reference + ' (never their own number)'],
    ['hotlineContact', 'The hotline', String],
  ];

  function start(user) {
    signOutButton.hidden = false;
    document.getElementById('agency').textContent = user.id;
    main.replaceChildren(el('p', { class: 'error', role: 'alert', id: 'error' }),
      el('div', { class: 'partner' }, el('div', { id: 'referrals', class: 'panel' }),
        el('section', { id: 'packet', class: 'panel', 'aria-live': 'polite', hidden: true })));
    load();
  }

  // One load at a time; acknowledging asks for one at once instead of starting a second loop.
  async function load() {
    clearTimeout(timer);
    if (!Staff.user) return;
    if (loading) { again = true; return; }
    loading = true;
    const mine = generation;
    try {
      const referrals = await api('GET', '/api/referrals');
      if (mine === generation) draw(referrals);
    } catch (err) { if (mine === generation) document.getElementById('error').textContent = err.message; }
    loading = false;
    if (Staff.user) timer = setTimeout(load, again ? 0 : 5000);
    again = false;
  }

  async function acknowledge(id) {
    try { await api('POST', '/api/referrals/' + encodeURIComponent(id) + '/ack'); load(); } catch (err) { document.getElementById('error').textContent = err.message; }
  }

  function deadline(r) {
    if (!r.acknowledgeBy) return '—';
    const by = new Date(r.acknowledgeBy).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    return r.acknowledgeWithin ? by + ' (within ' + r.acknowledgeWithin + ')' : by;
  }

  function draw(referrals) {
    referrals.sort((a, b) => (a.acknowledgedAt ? 1 : 0) - (b.acknowledgedAt ? 1 : 0) || new Date(b.createdAt) - new Date(a.createdAt));
    document.getElementById('referrals').replaceChildren(referrals.length
      ? el('table', {}, el('thead', {}, el('tr', {}, ['Referral', 'Status', 'Received', 'Acknowledge by', ''].map((h) => el('th', { text: h })))),
        el('tbody', {}, referrals.map((r) => el('tr', { class: r.id === openId ? 'open' : null },
          el('td', { class: 'mono', 'data-label': 'Referral', text: r.id }), el('td', { 'data-label': 'Status', text: r.status }),
          el('td', { 'data-label': 'Received', text: r.sentAt ? new Date(r.sentAt).toLocaleString() : '—' }),
          el('td', { 'data-label': 'Acknowledge by', text: deadline(r) }),
          el('td', { class: 'actions' },
            el('button', { type: 'button', class: 'read', dataset: { open: r.id }, 'aria-controls': 'packet', text: 'Read', onclick: () => open(r.id) }),
            r.acknowledgedAt ? el('span', { class: 'badge', text: 'acknowledged' })
              : el('button', { type: 'button', class: 'primary', dataset: { id: r.id }, text: 'Acknowledge receipt', onclick: () => acknowledge(r.id) }))))))
      : el('p', { class: 'hint', text: 'No referrals for your agency.' }));
    document.getElementById('error').textContent = '';
  }

  // Reads one referral with its packet: asked for on purpose, once per click (the hotline logs every look).
  async function open(id) {
    const mine = generation;
    openId = id;
    const panel = document.getElementById('packet');
    try {
      const r = await api('GET', '/api/referrals/' + encodeURIComponent(id));
      if (mine !== generation || openId !== id) return;
      panel.hidden = false;
      panel.replaceChildren(
        el('h2', {}, 'Referral ', el('span', { class: 'mono', text: r.id })),
        r.packet
          ? el('dl', { class: 'packet' }, [
            ...fields.filter(([key]) => r.packet[key] !== undefined && r.packet[key] !== null)
              .map(([key, label, show]) => [el('dt', { text: label }), el('dd', { dataset: { field: key }, text: show(r.packet[key]) })]),
            ...Object.keys(r.packet).filter((key) => key !== 'referralId' && !fields.some(([k]) => k === key))
              .map((key) => [el('dt', { text: words(key) }), el('dd', { dataset: { field: key }, text: typeof r.packet[key] === 'object' ? JSON.stringify(r.packet[key]) : String(r.packet[key]) })]),
          ].flat())
          : el('p', { class: 'hint', text: 'Being prepared: what the person agreed to share appears here as soon as it is sent.' }),
        el('p', { class: 'hint', text: 'Only what the person agreed to share with your agency (or a supervisor approved) is here. '
          + 'Each time a referral is read, the hotline records who read it and when.' }),
        r.acknowledgedAt ? el('p', { text: 'Receipt acknowledged ' + new Date(r.acknowledgedAt).toLocaleString() + '.' })
          : el('button', { type: 'button', class: 'primary', text: 'Acknowledge receipt', onclick: async () => { await acknowledge(r.id); open(r.id); } }));
      for (const row of document.querySelectorAll('#referrals tbody tr')) row.classList.toggle('open', row.querySelector('[data-open]')?.dataset.open === id);
    } catch (err) { if (mine === generation) document.getElementById('error').textContent = err.message; }
  }

  Staff.signIn(main, 'partner', start);
})();
