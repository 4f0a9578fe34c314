// The simulated phone: sends through /dev/twilio/send and shows what the hotline sent back (polled every 2 s).
'use strict';
const thread = document.getElementById('thread');
const seen = new Set();

function add(kind, text, note) {
  const item = document.createElement('li');
  item.className = kind;
  item.textContent = text; // never innerHTML: messages are shown as text
  const small = document.createElement('small');
  small.textContent = note;
  item.appendChild(small);
  thread.appendChild(item);
}

document.getElementById('sms').addEventListener('submit', async (event) => {
  event.preventDefault();
  const body = document.getElementById('body');
  const message = { from: document.getElementById('from').value, to: document.getElementById('to').value, body: body.value };
  add('sent', message.body, 'you');
  body.value = '';
  const response = await fetch('/dev/twilio/send', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(message) });
  if (!response.ok) {
    add('received', 'The webhook refused the message: ' + response.status, 'simulator');
  }
  await poll();
});

async function poll() {
  const number = document.getElementById('from').value;
  const response = await fetch('/dev/twilio/messages?to=' + encodeURIComponent(number));
  if (!response.ok) return;
  for (const message of await response.json()) {
    if (seen.has(message.sid)) continue;
    seen.add(message.sid);
    add('received', message.body, 'hotline · ' + message.via);
  }
}

setInterval(poll, 2000);
