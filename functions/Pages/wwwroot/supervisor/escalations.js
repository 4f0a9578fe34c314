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
      el('div', { id: 'escalations' }), partnersSection());
    load();
    loadPartners();
  }

  let partners = [];
  const COVERS = ['category', 'location', 'happening', 'atRisk', 'language', 'callback'];
  const EXCEPTIONS = ['held-against-will', 'violence-now', 'medical', 'child-at-risk', 'suicide-risk'];

  // The partner directory: agencies, their webhook, duty phones, backup and deadline. (Secrets go in the vault.)
  function partnersSection() {
    const field = (id, label, props) => el('label', { for: id }, label, el('input', Object.assign({ id }, props || {})));
    const status = el('p', { role: 'status', class: 'hint', id: 'partner-status' });
    const list = (id) => document.getElementById(id).value.split(',').map((v) => v.trim()).filter(Boolean);
    return el('section', { class: 'panel', id: 'partners' }, el('h2', { text: 'Partner agencies' }), el('div', { id: 'partner-list' }),
      el('form', { class: 'filters', id: 'partner-form', onsubmit: async (e) => {
        e.preventDefault();
        const id = document.getElementById('p-id').value.trim();
        try {
          await api('PUT', '/api/partners/' + encodeURIComponent(id), {
            name: document.getElementById('p-name').value.trim(), mandate: document.getElementById('p-mandate').value.trim(),
            areas: list('p-areas'), languages: list('p-languages'), hours: document.getElementById('p-hours').value.trim(),
            webhookUrl: document.getElementById('p-webhook').value.trim(), alertPhones: list('p-phones'),
            backupAgencyId: document.getElementById('p-backup').value.trim() || null,
            ackDeadline: '00:' + String(Number(document.getElementById('p-deadline').value || 15)).padStart(2, '0') + ':00',
          });
          status.textContent = 'Saved ' + id + '. Put its webhook secret in the vault as Partner-' + id + '-WebhookSecret.';
          loadPartners();
        } catch (err) { status.textContent = err.message; }
      } },
        field('p-id', 'Agency id', { required: true, maxlength: 40, placeholder: 'e.g. la-strada' }), field('p-name', 'Name', { placeholder: 'e.g. La Strada Romania' }),
        field('p-mandate', 'Mandate', { placeholder: 'e.g. shelter, legal aid' }),
        field('p-areas', 'Areas (comma-separated)', { placeholder: 'e.g. Bucharest, Ilfov' }), field('p-languages', 'Languages', { placeholder: 'e.g. ro, en' }),
        field('p-hours', 'Hours', { placeholder: 'e.g. 24/7, or Mon–Fri 9–17' }),
        field('p-webhook', 'Webhook URL', { type: 'url', placeholder: 'https://…' }), field('p-phones', 'Duty phones', { placeholder: '+40…, +40…' }),
        field('p-backup', 'Backup agency id', { placeholder: 'e.g. another agency\'s id' }),
        field('p-deadline', 'Acknowledge within (minutes)', { type: 'number', min: 1, max: 59, value: 15 }),
        el('button', { type: 'submit', class: 'primary', id: 'partner-save', text: 'Save agency' })), status);
  }

  async function loadPartners() {
    try {
      partners = await api('GET', '/api/partners');
      document.getElementById('partner-list').replaceChildren(partners.length
        ? el('table', {}, el('thead', {}, el('tr', {}, ['Id', 'Name', 'Webhook', 'Duty phones', 'Backup', 'Deadline'].map((h) => el('th', { text: h })))),
          el('tbody', {}, partners.map((p) => el('tr', {}, el('td', { class: 'mono', text: p.id }), el('td', { text: p.name }),
            el('td', { text: p.webhookUrl }), el('td', { text: (p.alertPhones || []).join(', ') }), el('td', { text: p.backupAgencyId || '—' }),
            el('td', { text: duration(p.ackDeadline) })))))
        : el('p', { class: 'hint', text: 'No partner agencies yet.' }));
      // Refresh only the agency choices: re-rendering the escalations would close a form a supervisor is filling in.
      document.querySelectorAll('select.agencies').forEach(fillAgencies);
    } catch (err) { document.getElementById('error').textContent = err.message; }
  }

  // A TimeSpan as the API writes it ("00:15:00", "1.02:00:00") in words: "15 minutes".
  function duration(span) {
    const m = /^(?:(\d+)\.)?(\d+):(\d+):(\d+)/.exec(span || '');
    if (!m) return span || '—';
    const [days, hours, minutes, seconds] = m.slice(1).map((v) => Number(v || 0));
    const part = (n, unit) => (n ? n + ' ' + unit + (n === 1 ? '' : 's') : null);
    return [part(days, 'day'), part(hours, 'hour'), part(minutes, 'minute'), part(seconds, 'second')].filter(Boolean).join(' ') || '0 minutes';
  }

  function fillAgencies(select) {
    const chosen = select.value;
    select.replaceChildren(...partners.map((p) => el('option', { value: p.id, text: p.name })));
    if (partners.some((p) => p.id === chosen)) select.value = chosen;
    return select;
  }

  // Sending without the caller's consent: only for life or a child at risk, only with a reason, recorded as the approver's.
  function exceptionForm(x) {
    if (!x.category || !EXCEPTIONS.includes(x.category)) return null;
    const id = (name) => name + '-' + x.id;
    const status = el('p', { role: 'status', class: 'hint' });
    return el('details', {}, el('summary', { text: 'Approve sending without consent' }),
      el('form', { class: 'filters', onsubmit: async (e) => {
        e.preventDefault();
        try {
          await api('POST', '/api/escalations/' + x.id + '/exception', {
            agencyId: document.getElementById(id('x-agency')).value, reason: document.getElementById(id('x-reason')).value,
            covers: COVERS.filter((f) => document.getElementById(id('x-' + f)).checked),
          });
          status.textContent = 'Approved. The counsellor can now send the referral.';
        } catch (err) { status.textContent = err.message; }
      } },
        el('label', { for: id('x-agency') }, 'Agency', fillAgencies(el('select', { id: id('x-agency'), class: 'agencies' }))),
        el('label', { for: id('x-reason') }, 'Reason', el('input', { id: id('x-reason'), required: true, maxlength: 500 })),
        el('fieldset', {}, el('legend', { text: 'May be sent' }), COVERS.map((f) => el('label', { for: id('x-' + f) }, el('input', { type: 'checkbox', id: id('x-' + f) }), ' ' + (f === 'atRisk' ? 'who is at risk' : f)))),
        el('button', { type: 'submit', class: 'danger', text: 'Approve exception' })), status);
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
        x.category ? el('span', { class: 'badge', text: x.category.replace(/-/g, ' ') }) : null),
      el('p', { class: 'hint', text: 'Raised ' + new Date(x.raisedAt).toLocaleString() + (x.source ? ' · ' + x.source : '')
        + (x.conversationId ? ' · conversation ' + Staff.conversationName(x.conversationId) : '') + (x.agencies.length ? ' · agencies: ' + x.agencies.join(', ') : '') }),
      exceptionForm(x),
      el('ol', { class: 'timeline' }, x.timeline.map((s) => el('li', {},
        el('span', { class: 'mono', text: '#' + s.sequence + ' ' }), el('strong', { text: s.step }),
        ' · ' + new Date(s.at).toLocaleString() + ' · ' + s.actor
        + (Object.keys(s.details).length ? ' · ' + Object.entries(s.details).map(([k, v]) => k + '=' + v).join(', ') : '')))));
  }

  Staff.signIn(main, 'supervisor', start);
})();
