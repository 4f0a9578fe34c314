'use strict';
// A partner agency's page: only the referrals addressed to it, with their deadline, and acknowledging receipt.
(function () {
  const { el, api } = Staff;
  const main = document.getElementById('main');
  const signOutButton = document.getElementById('sign-out');
  let timer = null;
  let loading = false;
  let again = false;
  let generation = 0; // a new one at each sign-out, so a load still running for the previous agency draws nothing
  signOutButton.addEventListener('click', () => Staff.signOut());
  Staff.onSignedOut(() => {
    clearTimeout(timer);
    generation++;
    signOutButton.hidden = true;
    document.getElementById('agency').textContent = '';
    Staff.signIn(main, 'partner', start);
  });

  function start(user) {
    signOutButton.hidden = false;
    document.getElementById('agency').textContent = user.id;
    main.replaceChildren(el('p', { class: 'error', role: 'alert', id: 'error' }), el('div', { id: 'referrals', class: 'panel' }));
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

  function draw(referrals) {
    referrals.sort((a, b) => (a.acknowledgedAt ? 1 : 0) - (b.acknowledgedAt ? 1 : 0) || new Date(b.createdAt) - new Date(a.createdAt));
    document.getElementById('referrals').replaceChildren(referrals.length
      ? el('table', {}, el('thead', {}, el('tr', {}, ['Referral', 'Status', 'Received', 'Acknowledge by', ''].map((h) => el('th', { text: h })))),
        el('tbody', {}, referrals.map((r) => el('tr', {},
          el('td', { class: 'mono', text: r.id }), el('td', { text: r.status }),
          el('td', { text: r.sentAt ? new Date(r.sentAt).toLocaleString() : '—' }),
          el('td', { text: r.acknowledgeBy ? new Date(r.acknowledgeBy).toLocaleTimeString() : '—' }),
          el('td', {}, r.acknowledgedAt ? 'acknowledged' : el('button', { type: 'button', class: 'primary', dataset: { id: r.id }, text: 'Acknowledge receipt',
            onclick: async () => { try { await api('POST', '/api/referrals/' + encodeURIComponent(r.id) + '/ack'); load(); } catch (err) { document.getElementById('error').textContent = err.message; } } }))))))
      : el('p', { class: 'hint', text: 'No referrals for your agency.' }));
    document.getElementById('error').textContent = '';
  }

  Staff.signIn(main, 'partner', start);
})();
