// The call page: dials the hotline through /dev/twilio/calls, shows the chosen call (polled every second while it is
// live) and sends the caller's and each phone's steps. Everything is put on the page as text.
'use strict';
const $ = (id) => document.getElementById(id);
const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'];
const STATES = {
  Playing: 'Twilio is playing to the caller',
  WaitingForKeys: 'The caller hears a menu: waiting for a key (or silence)',
  Recording: 'Recording the caller',
  Dialing: 'Ringing counsellors',
  Queued: 'Waiting in the queue: the caller hears the waiting message',
  Connected: 'Connected: the caller talks with a counsellor',
  Ended: 'The call has ended',
};
let calls = [];
let currentId = null;
let current = null;
let drawnCalls = '';

function button(text, onClick, className) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = text;
  if (className) b.className = className;
  b.addEventListener('click', onClick);
  return b;
}

function keypad(container, send) {
  container.replaceChildren(...KEYS.map((key) => {
    const b = button(key, () => send({ keys: key }));
    b.dataset.key = key;
    b.setAttribute('aria-label', 'Press ' + key);
    return b;
  }));
}

// Redraws a list only when its lines changed, so a screen reader reads new lines once.
function lines(list, texts) {
  const now = [...list.children].map((li) => li.textContent);
  if (now.length === texts.length && now.every((t, i) => t === texts[i])) return;
  list.replaceChildren(...texts.map((text) => {
    const li = document.createElement('li');
    // What is said goes in its own <bdi>: Arabic reads right to left after the left-to-right "say[…]:".
    const said = /^(say\[[^\]]*\]: )([\s\S]*)$/.exec(text);
    if (said) {
      const words = document.createElement('bdi');
      words.textContent = said[2];
      li.append(said[1], words);
    } else {
      li.textContent = text;
    }
    return li;
  }));
}

async function step(path, body) {
  $('status').textContent = '';
  try {
    const response = await fetch('/dev/twilio/calls/' + encodeURIComponent(currentId) + '/' + path, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body || {}),
    });
    if (response.ok) {
      show(await response.json());
    } else {
      const problem = await response.json().catch(() => ({}));
      $('status').textContent = 'Not done: ' + (problem.detail || 'the simulator answered ' + response.status);
      await poll();
    }
  } catch (e) {
    $('status').textContent = 'Not done: the app cannot be reached.';
  }
}

// A rung phone: a leg of the caller's <Dial> (legs/N/…), a call the app created through the REST API (outbound/N/…)
// or a number that call's <Dial> rings (outbound/N/legs/M/…).
function legCard(leg, kind) {
  const card = document.createElement('article');
  card.className = 'leg';
  card.dataset.leg = String(leg.index);
  const heading = document.createElement('h4');
  const sees = document.createElement('p');
  const state = document.createElement('p');
  state.className = 'state';
  const controls = document.createElement('div');
  controls.className = 'controls';
  const keys = document.createElement('div');
  keys.className = 'keypad';
  const send = (path) => (body) => step((kind || 'legs') + '/' + leg.index + '/' + path, body);
  keypad(keys, send('press'));
  const actions = document.createElement('div');
  actions.className = 'actions';
  actions.append(
    button('Answer', () => send('answer')(), 'answer'),
    button('Reject (busy)', () => send('reject')(), 'reject'),
    button('Stay quiet', () => send('quiet')(), 'quiet'),
    button('Hang up', () => send('hangup')(), 'hangup danger'));
  if (kind === 'outbound') actions.append(button('Let the queue wait time out', () => send('dial-timeout')(), 'dial-timeout'));
  controls.append(keys, actions);
  const title = document.createElement('h5');
  title.textContent = 'This phone hears';
  const heard = document.createElement('ol');
  heard.className = 'heard';
  card.append(heading, sees, state, controls, title, heard);
  return card;
}

const LEG_STATES = {
  Ringing: 'Ringing',
  Answered: 'Answered: hearing the whisper',
  Bridged: 'Connected to the caller',
  Ended: 'Ended',
};

function showLegs(call) {
  const container = $('legs');
  const key = call.legs.map((l) => l.index + l.number).join();
  if (container.dataset.key !== key) {
    container.dataset.key = key;
    container.replaceChildren(...call.legs.map((leg) => legCard(leg)));
  }
  $('dialled').hidden = call.legs.length === 0; // the hotline rings phones through the REST API, not a <Dial>
  for (const leg of call.legs) {
    fillLeg(container.querySelector(':scope > [data-leg="' + leg.index + '"]'), leg, call.state !== 'Ended', 'Phone ' + leg.index);
  }
}

// Numbers are shown masked (•••• 0123): a <Dial> may ring a caller back.
function fillLeg(card, leg, live, title) {
  card.querySelector('h4').textContent = title + ': ' + leg.number;
  card.querySelector('p').textContent = 'Shows the call as from ' + leg.callerId;
  card.querySelector('.state').textContent = (LEG_STATES[leg.state] || leg.state) + (leg.outcome ? ' (' + leg.outcome + ')' : '');
  // Only what this phone can do now is shown: answer or reject while ringing, keys in the whisper, hang up.
  const ringing = live && leg.state === 'Ringing';
  card.querySelector('.answer').hidden = !ringing;
  card.querySelector('.reject').hidden = !ringing;
  card.querySelector('.quiet').hidden = leg.state !== 'Answered';
  card.querySelector('.hangup').hidden = !(leg.state === 'Answered' || leg.state === 'Bridged');
  card.querySelector('.keypad').hidden = leg.state !== 'Answered';
  card.querySelector('.controls').hidden = !(ringing || leg.state === 'Answered' || leg.state === 'Bridged');
  const ringOut = card.querySelector('.ring-out');
  if (ringOut) ringOut.hidden = !ringing;
  lines(card.querySelector('ol'), leg.heard);
}

// The numbers a created call's <Dial> rings (a caller called back), as phones inside that call's card.
function showDialled(card, c) {
  let box = card.querySelector(':scope > .dialled');
  if (!box) {
    box = document.createElement('section');
    box.className = 'dialled';
    const heading = document.createElement('h5');
    heading.textContent = 'Phones its <Dial> rings';
    box.append(heading, document.createElement('div'));
    card.append(box);
  }
  box.hidden = c.legs.length === 0;
  const list = box.querySelector(':scope > div');
  const key = c.legs.map((l) => l.index + l.number).join();
  if (list.dataset.key !== key) {
    list.dataset.key = key;
    list.replaceChildren(...c.legs.map((leg) => {
      const legCardElement = legCard(leg, 'outbound/' + c.index + '/legs');
      legCardElement.querySelector('.actions').append(button('Let it ring out', () => step('outbound/' + c.index + '/dial-timeout'), 'ring-out'));
      return legCardElement;
    }));
  }
  for (const leg of c.legs) {
    fillLeg(list.querySelector(':scope > [data-leg="' + leg.index + '"]'), leg, c.state === 'Dialing', 'Phone ' + leg.index);
  }
}

const OUTBOUND_STATES = {
  Ringing: 'Ringing',
  InProgress: 'Answered: the app\'s document plays',
  WaitingForQueue: 'Waiting for a caller in the queue',
  Dialing: 'Its <Dial> rings a number',
  Bridged: 'Connected to the caller',
  Ended: 'Ended',
};

// The calls the app created (a counsellor's phone rung for the queued caller): the same card as a dialled leg.
function showOutbound(call) {
  const container = $('outbound');
  const key = call.outbound.map((c) => c.index + c.to).join();
  if (container.dataset.key !== key) {
    container.dataset.key = key;
    container.replaceChildren(...call.outbound.map((c) => legCard(c, 'outbound')));
  }
  $('no-outbound').hidden = call.outbound.length > 0;
  for (const c of call.outbound) {
    const card = container.querySelector(':scope > [data-leg="' + c.index + '"]');
    card.querySelector('h4').textContent = 'Call ' + c.index + ' from the app: ' + c.to;
    card.querySelector('p').textContent = 'Shows the call as from ' + c.from;
    card.querySelector('.state').textContent = (OUTBOUND_STATES[c.state] || c.state) + ' (' + c.status + ')';
    const ringing = c.state === 'Ringing';
    const answered = c.state === 'InProgress';
    const on = answered || c.state === 'WaitingForQueue' || c.state === 'Bridged' || c.state === 'Dialing';
    card.querySelector('.answer').hidden = !ringing;
    card.querySelector('.reject').hidden = !ringing;
    card.querySelector('.quiet').hidden = !answered;
    card.querySelector('.keypad').hidden = !answered;
    card.querySelector('.hangup').hidden = !on;
    card.querySelector('.dial-timeout').hidden = c.state !== 'WaitingForQueue';
    card.querySelector('.controls').hidden = !(ringing || on);
    lines(card.querySelector('ol'), c.heard);
    showDialled(card, c);
  }
}

function show(call) {
  current = call;
  const index = calls.findIndex((c) => c.id === call.id);
  if (index >= 0) calls[index] = call; else calls.push(call);
  drawCalls();
  $('call').hidden = false;
  $('call-heading').textContent = 'Call from ' + call.from + ' to ' + call.to;
  $('call-state').textContent = (STATES[call.state] || call.state) + ' · ' + call.elapsedSeconds + ' s on the call clock';
  $('call-problem').textContent = call.problem ? 'The last step failed: ' + call.problem : '';
  const live = call.state !== 'Ended';
  for (const b of $('caller-keys').children) b.disabled = call.state !== 'WaitingForKeys';
  $('quiet').disabled = !(call.state === 'WaitingForKeys' || call.state === 'Recording');
  $('record').disabled = call.state !== 'Recording';
  $('dial-timeout').disabled = call.state !== 'Dialing';
  $('talk').disabled = call.state !== 'Connected';
  $('wait').disabled = call.state !== 'Queued';
  $('hangup').disabled = !live;
  lines($('caller-heard'), call.callerHeard);
  showLegs(call);
  showOutbound(call);
  lines($('requests'), call.requests.map((r) => r.side + ': ' + r.method + ' ' + r.path + '  ' +
    Object.entries(r.parameters).map(([k, v]) => k + '=' + v).join(' ')));
}

function drawCalls() {
  const drawing = JSON.stringify([currentId, calls.map((c) => [c.id, c.from, c.to, c.state])]);
  if (drawing === drawnCalls) return;
  drawnCalls = drawing;
  $('calls').replaceChildren(...calls.map((call, i) => {
    const b = button('Call ' + (i + 1) + ': ' + call.from + ' → ' + call.to + ' · ' + (call.state === 'Ended' ? 'ended' : 'live'), () => {
      currentId = call.id;
      show(call);
      poll();
    });
    if (call.id === currentId) b.setAttribute('aria-current', 'true');
    const li = document.createElement('li');
    li.append(b);
    return li;
  }));
}

async function poll() {
  try {
    const response = await fetch('/dev/twilio/calls', { cache: 'no-store' });
    if (!response.ok) return;
    calls = await response.json();
    const shown = calls.find((c) => c.id === currentId);
    if (shown) show(shown); else drawCalls();
  } catch (e) { /* the app is restarting: the next tick tries again */ }
}

async function loadLines() {
  const response = await fetch('/dev/twilio/lines', { cache: 'no-store' });
  const { general, numbers } = await response.json();
  const names = new Intl.DisplayNames(['en'], { type: 'language' });
  const options = [{ number: general, label: 'General line ' + general + ' (language menu)' }]
    .concat(numbers.map((n) => ({ number: n.number, label: names.of(n.language) + ' line ' + n.number })));
  $('to').replaceChildren(...options.map((o) => {
    const option = document.createElement('option');
    option.value = o.number;
    option.textContent = o.label;
    return option;
  }));
}

$('dial').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('status').textContent = 'Calling…';
  try {
    const response = await fetch('/dev/twilio/calls', {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ from: $('from').value, to: $('to').value }),
    });
    if (response.ok) {
      const call = await response.json();
      currentId = call.id;
      $('status').textContent = '';
      show(call);
    } else {
      const problem = await response.json().catch(() => ({}));
      $('status').textContent = 'Not called: ' + (problem.detail || 'the simulator answered ' + response.status);
    }
  } catch (e) {
    $('status').textContent = 'Not called: the app cannot be reached.';
  }
});

keypad($('caller-keys'), (body) => step('press', body));
$('quiet').addEventListener('click', () => step('quiet'));
$('record').addEventListener('click', () => step('record', { seconds: Number($('seconds').value), key: $('record-end').value || null }));
$('dial-timeout').addEventListener('click', () => step('dial-timeout'));
$('talk').addEventListener('click', () => step('talk', { seconds: 60 }));
$('wait').addEventListener('click', () => step('wait', { seconds: Number($('wait-seconds').value) }));
$('hangup').addEventListener('click', () => step('hangup'));

loadLines();
poll();
// Every second while a call is live.
setInterval(() => { if (calls.some((c) => c.state !== 'Ended')) poll(); }, 1000);
