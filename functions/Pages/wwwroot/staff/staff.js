'use strict';
// Sign-in and API access shared by the console and the supervisor board. The token is kept in this tab's session
// storage (and the one-time sign-in verifier, across the authority's redirect, removed on return): moving between the
// staff pages or reloading keeps you signed in, while closing the tab or signing out leaves nothing behind on a
// shared office computer. No cookies, no local storage. Every caller-supplied string must be put on the page with
// textContent, never as HTML.
const Staff = (function () {
  const SESSION_KEY = 'hotline-staff-session';
  let token = null;
  let user = null;
  const signedOutHandlers = [];

  // The API lets a supervisor do what a counsellor does, so a supervisor's sign-in serves the console too.
  const ACCEPTED = { counsellor: ['counsellor', 'supervisor'], supervisor: ['supervisor'], partner: ['partner'] };
  function keep(newToken, newUser) {
    token = newToken;
    user = newUser;
    sessionStorage.setItem(SESSION_KEY, JSON.stringify({ token, user }));
  }
  function kept(role) {
    try {
      const saved = JSON.parse(sessionStorage.getItem(SESSION_KEY) || 'null');
      if (saved && saved.token && saved.user && (saved.user.roles || []).some((r) => (ACCEPTED[role] || [role]).includes(r))) return saved;
    } catch { /* not ours: ignore it */ }
    return null;
  }

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
    let response;
    try {
      response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'omit', cache: 'no-store' });
    } catch {
      // The network or the app is down: say so in words (the pages keep polling, and clear it once it answers).
      const error = new Error('The connection to the hotline is lost. Trying again…');
      error.offline = true;
      throw error;
    }
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

  // Audio the app serves to signed-in staff (a voicemail): fetched with the token, played from memory, so no address
  // that works without signing in ever reaches the page.
  async function audio(path) {
    const response = await fetch(path, { headers: { Authorization: 'Bearer ' + token }, credentials: 'omit', cache: 'no-store' });
    if (response.status === 401) { signOut(); throw new Error('Your sign-in has ended; sign in again.'); }
    if (!response.ok) throw new Error(response.status === 404 ? 'This voicemail is no longer kept.' : 'The server answered ' + response.status + '.');
    return URL.createObjectURL(await response.blob());
  }

  // Development sign-in through /api/dev/token. (With an OpenID Connect authority the page signs in there instead.)
  function signInForm(container, defaultRole, onSignedIn) {
    const status = el('p', { class: 'error', role: 'alert' });
    const userInput = el('input', { id: 'signin-user', name: 'user', required: true, autocomplete: 'username', value: '' });
    const roleSelect = el('select', { id: 'signin-role', name: 'role' },
      el('option', { value: 'counsellor', text: 'Counsellor' }), el('option', { value: 'supervisor', text: 'Supervisor' }),
      el('option', { value: 'partner', text: 'Partner agency' }));
    roleSelect.value = defaultRole;
    const form = el('form', { class: 'signin', onsubmit: async (e) => {
      e.preventDefault();
      status.textContent = '';
      try {
        const response = await fetch('/api/dev/token', { method: 'POST', headers: { 'Content-Type': 'application/json' }, credentials: 'omit',
          body: JSON.stringify({ user: userInput.value.trim(), roles: [roleSelect.value] }) });
        if (!response.ok) throw new Error('Sign-in failed (' + response.status + ').');
        keep((await response.json()).token, { id: userInput.value.trim(), roles: [roleSelect.value] });
        form.remove();
        onSignedIn(user);
      } catch (err) { status.textContent = err.message; }
    } },
      el('h1', { text: 'Sign in' }),
      el('p', { class: 'hint', text: 'Development sign-in: no password. In Azure, staff sign in with their organisation account.' }),
      el('label', { for: 'signin-user', text: 'Your id (roster id, or agency id for a partner)' }), userInput,
      el('label', { for: 'signin-role', text: 'Role' }), roleSelect,
      el('button', { type: 'submit', class: 'primary', id: 'signin-submit', text: 'Sign in' }), status);
    container.replaceChildren(form);
    userInput.focus();
  }

  // Chooses the sign-in the app is configured for: the Development form, or OpenID Connect at the authority
  // (Microsoft Entra ID in Azure): authorization code with PKCE, redeemed from this page, the token kept in memory.
  async function signIn(container, defaultRole, onSignedIn) {
    if (leaving) { container.replaceChildren(el('p', { class: 'hint', text: 'Signing out…' })); return; }
    const status = el('p', { class: 'error', role: 'alert' });
    let config;
    try {
      const response = await fetch('/api/auth/config', { credentials: 'omit', cache: 'no-store' });
      config = await response.json();
      if (leaving) return;
      if (!response.ok) throw new Error(config.detail || 'Sign-in is not available.');
    } catch (err) {
      container.replaceChildren(el('p', { class: 'error', role: 'alert', text: err.message }));
      return;
    }
    oidc = config.mode === 'oidc' ? config : null;
    const params = new URLSearchParams(location.search);
    const saved = !params.has('code') && !params.has('error') && kept(defaultRole);
    if (saved) { // signed in earlier in this tab
      token = saved.token;
      user = saved.user;
      onSignedIn(user);
      return;
    }
    if (!oidc) { signInForm(container, defaultRole, onSignedIn); return; }

    const pending = sessionStorage.getItem(PKCE_KEY);
    sessionStorage.removeItem(PKCE_KEY); // the verifier serves one return, then goes
    if (params.has('code') || params.has('error')) {
      history.replaceState(null, '', location.pathname + location.hash); // the code must not stay in the address bar
      try {
        const { verifier, state } = JSON.parse(pending || '{}');
        if (params.has('error')) throw new Error(params.get('error_description') || params.get('error'));
        if (!verifier || params.get('state') !== state) throw new Error('The sign-in answer does not match this page; sign in again.');
        const response = await fetch(oidc.tokenEndpoint, { method: 'POST', credentials: 'omit', body: new URLSearchParams({
          client_id: oidc.clientId, grant_type: 'authorization_code', code: params.get('code'), redirect_uri: redirectUri(),
          code_verifier: verifier, scope: oidc.scope } ) });
        const answer = await response.json();
        if (!response.ok || !answer.access_token) throw new Error(answer.error_description || 'The sign-in could not be completed.');
        token = answer.access_token;
        const me = await api('GET', '/api/me');
        keep(token, { id: me.id, roles: me.roles });
        onSignedIn(user);
        return;
      } catch (err) {
        token = null;
        status.textContent = err.message;
      }
    }

    container.replaceChildren(el('form', { class: 'signin', onsubmit: async (e) => { e.preventDefault(); await redirectToAuthority(); } },
      el('h1', { text: 'Sign in' }),
      el('p', { class: 'hint', text: 'Sign in with your organisation account. Nothing is kept on this computer after you sign out.' }),
      el('button', { type: 'submit', class: 'primary', id: 'signin-oidc', text: 'Sign in' }), status));
  }

  const PKCE_KEY = 'hotline-sign-in';
  let oidc = null;
  let leaving = false; // on the way to the authority's sign-out: draw no sign-in form that the next page would replace
  const redirectUri = () => location.origin + location.pathname;
  const base64Url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

  async function redirectToAuthority() {
    const verifier = base64Url(crypto.getRandomValues(new Uint8Array(32)));
    const state = base64Url(crypto.getRandomValues(new Uint8Array(16)));
    const challenge = base64Url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
    sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state }));
    const query = new URLSearchParams({ client_id: oidc.clientId, response_type: 'code', redirect_uri: redirectUri(), response_mode: 'query',
      scope: oidc.scope + ' openid profile', state, code_challenge: challenge, code_challenge_method: 'S256', prompt: 'select_account' });
    location.assign(oidc.authorizationEndpoint + '?' + query);
  }

  function signOut() {
    token = null;
    user = null;
    sessionStorage.removeItem(SESSION_KEY);
    // Also end the session at the authority, or the next person at this computer would be signed in as you.
    leaving = Boolean(oidc && oidc.endSessionEndpoint);
    for (const handler of signedOutHandlers) handler();
    if (leaving) {
      location.assign(oidc.endSessionEndpoint + '?' + new URLSearchParams({ post_logout_redirect_uri: redirectUri() }));
    }
  }

  function since(iso) {
    if (!iso) return '';
    const seconds = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
    if (seconds < 60) return seconds + ' s';
    if (seconds < 3600) return Math.floor(seconds / 60) + ' min';
    return Math.floor(seconds / 3600) + ' h ' + Math.floor((seconds % 3600) / 60) + ' min';
  }

  // One short name per conversation, the same on every staff page: the start of its id ("c-" and six hex digits),
  // so it can be found in the full id an alert or the escalation log carries.
  const conversationName = (id) => String(id || '').slice(0, 8);

  // Language names in words (the staff pages are in English), falling back to the code.
  let languageNames = null;
  try { languageNames = new Intl.DisplayNames(['en'], { type: 'language' }); } catch { /* an old browser: codes */ }
  function languageName(code) {
    try { return (languageNames && languageNames.of(code)) || code; } catch { return code; }
  }

  return {
    el, api, audio, signIn, signInForm, signOut, since, conversationName, languageName,
    onSignedOut: (handler) => signedOutHandlers.push(handler),
    get user() { return user; },
  };
})();
