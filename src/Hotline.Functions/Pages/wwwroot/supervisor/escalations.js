'use strict';
// The escalation log for supervisors: each escalation's timeline, filters, and the check of the log's hash chain.
(function () {
  const { el, api } = Staff;
  const main = document.getElementById('main');
  const signOutButton = document.getElementById('sign-out');
  signOutButton.addEventListener('click', () => Staff.signOut());
  Staff.onSignedOut(() => { signOutButton.hidden = true; Staff.signIn(main, 'supervisor', start); });

  function start() {
    signOutButton.hidden = false;
    const input = (id, label, props) => el('label', { for: id }, label, el('input', Object.assign({ id }, props)));
    const status = el('select', { id: 'f-status' }, ['', 'raised', 'queued', 'sent', 'acknowledged', 'overdue'].map((s) => el('option', { value: s, text: s || 'any' })));
    const form = el('form', { class: 'filters panel', onsubmit: (e) => { e.preventDefault(); load(); } },
      input('f-from', 'From', { type: 'date' }), input('f-to', 'To', { type: 'date' }), input('f-agency', 'Agency', { placeholder: 'agency id' }),
      el('label', { for: 'f-status' }, 'Status', status),
      el('label', { for: 'f-overdue', class: 'inline' }, el('input', { type: 'checkbox', id: 'f-overdue' }), ' Overdue only'),
      el('button', { type: 'submit', class: 'primary', text: 'Show' }));
    main.replaceChildren(form, el('section', { id: 'chain', class: 'panel', 'aria-live': 'polite' }), el('p', { class: 'error', role: 'alert', id: 'error' }),
      el('div', { id: 'escalations' }));
    load();
  }

  async function load() {
    const query = new URLSearchParams();
    const value = (id) => document.getElementById(id).value;
    if (value('f-from')) query.set('from', new Date(value('f-from')).toISOString());
    if (value('f-to')) query.set('to', new Date(new Date(value('f-to')).getTime() + 86400000).toISOString());
    if (value('f-agency')) query.set('agency', value('f-agency').trim());
    if (value('f-status')) query.set('status', value('f-status'));
    if (document.getElementById('f-overdue').checked) query.set('overdue', 'true');
    try {
      const view = await api('GET', '/api/escalations?' + query);
      const chain = document.getElementById('chain');
      chain.className = 'panel ' + (view.chain.intact ? 'intact' : 'broken');
      chain.replaceChildren(el('h2', { text: view.chain.intact ? 'Log chain verified' : 'Log chain BROKEN' }),
        el('p', { text: view.chain.intact
          ? view.chain.entries + ' entries; every entry follows the one before and matches its hash.'
          : 'First broken entry: ' + view.chain.firstBrokenSequence + '. ' + view.chain.problem }));
      document.getElementById('escalations').replaceChildren(...(view.escalations.length ? view.escalations.map(render)
        : [el('p', { class: 'hint', text: 'No escalations match.' })]));
      document.getElementById('error').textContent = '';
    } catch (err) { document.getElementById('error').textContent = err.message; }
  }

  function render(x) {
    return el('article', { class: 'panel escalation' },
      el('h2', {}, el('span', { class: 'mono', text: x.id }),
        el('span', { class: x.overdue ? 'badge gap' : 'badge', text: x.overdue ? 'overdue' : x.status }),
        x.category ? el('span', { class: 'badge', text: x.category }) : null),
      el('p', { class: 'hint', text: 'Raised ' + new Date(x.raisedAt).toLocaleString() + (x.source ? ' · ' + x.source : '')
        + (x.conversationId ? ' · conversation ' + x.conversationId : '') + (x.agencies.length ? ' · agencies: ' + x.agencies.join(', ') : '') }),
      el('ol', { class: 'timeline' }, x.timeline.map((s) => el('li', {},
        el('span', { class: 'mono', text: '#' + s.sequence + ' ' }), el('strong', { text: s.step }),
        ' · ' + new Date(s.at).toLocaleString() + ' · ' + s.actor
        + (Object.keys(s.details).length ? ' · ' + Object.entries(s.details).map(([k, v]) => k + '=' + v).join(', ') : '')))));
  }

  Staff.signIn(main, 'supervisor', start);
})();
