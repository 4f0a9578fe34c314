'use strict';
// Sign-in and API access shared by the console and the supervisor board. The token lives in this page's memory
// only: nothing is written to cookies or web storage, so signing out (or closing the tab) leaves nothing behind on a
// shared office computer. Every caller-supplied string must be put on the page with textContent, never as HTML.
const Staff = (function () {
  let token = null;
  let user = null;
  const signedOutHandlers = [];

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (key === 'class') node.className = value;
      else if (key === 'text') node.textContent = value;
      else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
      else if (key === 'dataset') Object.assign(node.dataset, value);
      else if (value !== false && value !== null && value !== undefined) node.setAttribute(key, value === true ? '' : value);
    }
    for (const child of children.flat()) {
      if (child !== null && child !== undefined && child !== false) node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  async function api(method, path, body) {
    const headers = { Authorization: 'Bearer ' + token };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'omit', cache: 'no-store' });
    if (response.status === 401) { signOut(); throw new Error('Your sign-in has ended; sign in again.'); }
    const text = await response.text();
    const data = text ? JSON.parse(text) : null;
    if (!response.ok) {
      const error = new Error((data && (data.detail || data.title)) || ('The server answered ' + response.status + '.'));
      error.status = response.status;
      throw error;
    }
    return data;
  }

  // Development sign-in through /api/dev/token. (With an OpenID Connect authority the page signs in there instead.)
  function signInForm(container, defaultRole, onSignedIn) {
    const status = el('p', { class: 'error', role: 'alert' });
    const userInput = el('input', { id: 'signin-user', name: 'user', required: true, autocomplete: 'username', value: '' });
    const roleSelect = el('select', { id: 'signin-role', name: 'role' },
      el('option', { value: 'counsellor', text: 'Counsellor' }), el('option', { value: 'supervisor', text: 'Supervisor' }));
    roleSelect.value = defaultRole;
    const form = el('form', { class: 'signin', onsubmit: async (e) => {
      e.preventDefault();
      status.textContent = '';
      try {
        const response = await fetch('/api/dev/token', { method: 'POST', headers: { 'Content-Type': 'application/json' }, credentials: 'omit',
          body: JSON.stringify({ user: userInput.value.trim(), roles: [roleSelect.value] }) });
        if (!response.ok) throw new Error('Sign-in failed (' + response.status + ').');
        token = (await response.json()).token;
        user = { id: userInput.value.trim(), roles: [roleSelect.value] };
        form.remove();
        onSignedIn(user);
      } catch (err) { status.textContent = err.message; }
    } },
      el('h1', { text: 'Sign in' }),
      el('p', { class: 'hint', text: 'Development sign-in: no password. In Azure, staff sign in with their organisation account.' }),
      el('label', { for: 'signin-user', text: 'Your id on the roster' }), userInput,
      el('label', { for: 'signin-role', text: 'Role' }), roleSelect,
      el('button', { type: 'submit', class: 'primary', id: 'signin-submit', text: 'Sign in' }), status);
    container.replaceChildren(form);
    userInput.focus();
  }

  function signOut() {
    token = null;
    user = null;
    for (const handler of signedOutHandlers) handler();
  }

  function since(iso) {
    if (!iso) return '';
    const seconds = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
    if (seconds < 60) return seconds + ' s';
    if (seconds < 3600) return Math.floor(seconds / 60) + ' min';
    return Math.floor(seconds / 3600) + ' h ' + Math.floor((seconds % 3600) / 60) + ' min';
  }

  return {
    el, api, signInForm, signOut, since,
    onSignedOut: (handler) => signedOutHandlers.push(handler),
    get user() { return user; },
  };
})();
