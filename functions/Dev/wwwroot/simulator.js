// The simulated phones: sends through /dev/twilio/send and shows every phone's thread with the hotline (polled every
// 2 s). The thread shown is the phone in "Your phone number"; a reply to another phone marks that phone unread.
'use strict';
const $ = (id) => document.getElementById(id);
const read = new Set(); // the hotline's messages shown on this page
let threads = [];
let drawnPhones = '';

const current = () => $('from').value.trim();

function render() {
  const phone = current();
  const shown = threads.find((t) => t.phone === phone);
  const items = (shown ? shown.messages : []).map((message) => {
    if (!message.fromPhone) read.add(message.sid);
    const item = document.createElement('li');
    item.className = message.fromPhone ? 'sent' : 'received';
    item.dir = 'auto'; // Arabic reads right to left, whatever the page's direction
    item.textContent = message.body; // never innerHTML: messages are shown as text
    const small = document.createElement('small');
    small.textContent = message.fromPhone ? 'you · ' + message.via : 'hotline · ' + message.via;
    item.appendChild(small);
    return item;
  });
  const thread = $('thread');
  // Only redraw when something changed, so a screen reader announces new messages once.
  if (thread.children.length !== items.length || items.some((item, i) => item.textContent !== thread.children[i].textContent)) {
    thread.replaceChildren(...items);
  }
  $('thread-heading').textContent = 'Phone ' + phone;

  const known = (threads.some((t) => t.phone === phone) ? threads : [{ phone, messages: [] }, ...threads])
    .map((t) => ({ phone: t.phone, unread: t.messages.filter((m) => !m.fromPhone && !read.has(m.sid)).length }));
  // Redrawn only when something changed, so a focused button stays focused.
  const drawing = JSON.stringify([phone, known]);
  if (drawing === drawnPhones) return;
  drawnPhones = drawing;
  $('phones').replaceChildren(...known.map(({ phone: number, unread }) => {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = number;
    if (number === phone) button.setAttribute('aria-current', 'true');
    if (unread) {
      const mark = document.createElement('span');
      mark.className = 'unread';
      mark.textContent = unread + ' unread';
      button.append(' ', mark);
    }
    button.addEventListener('click', () => { $('from').value = number; render(); });
    const entry = document.createElement('li');
    entry.append(button);
    return entry;
  }));
}

async function poll() {
  try {
    const response = await fetch('/dev/twilio/threads', { cache: 'no-store' });
    if (response.ok) threads = await response.json();
  } catch (e) { /* the app is restarting: the next tick tries again */ }
  render();
}

$('from').addEventListener('input', render);

// The message leaves the box only once the hotline's webhook took it.
$('sms').addEventListener('submit', async (event) => {
  event.preventDefault();
  const body = $('body');
  const message = { from: $('from').value, to: $('to').value, body: body.value };
  $('status').textContent = '';
  try {
    const response = await fetch('/dev/twilio/send', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(message) });
    if (response.ok) {
      if (body.value === message.body) body.value = '';
    } else {
      const problem = await response.json().catch(() => ({}));
      $('status').textContent = 'Not sent: ' + (problem.detail || 'the simulator answered ' + response.status) + '. The message is still in the box.';
    }
  } catch (e) {
    $('status').textContent = 'Not sent: the app cannot be reached. The message is still in the box.';
  }
  await poll();
});

poll();
setInterval(poll, 2000);
