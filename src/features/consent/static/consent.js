/* aimsite cookie consent: runs what is gated once it is consented to. docs/consent.md */
(() => {
  'use strict';
  const d = document;
  const root = d.getElementById('consent');
  if (!root) return;
  const cfg = root.dataset;
  const name = cfg.cookie;
  const revision = +cfg.revision;
  const byId = (id) => d.getElementById(id);
  const choices = byId('consent-choices');
  const choose = root.querySelector('[data-consent-action="choose"]');
  const status = byId('consent-status');
  const switches = [...root.querySelectorAll('input[data-cookies]')];
  const all = switches.map((s) => s.value);
  // Global Privacy Control refuses the categories with data-gpc.
  const free = all.filter((c, i) => !(navigator.globalPrivacyControl === true && 'gpc' in switches[i].dataset));
  const life = (list) => +((!list.length && cfg.refusalDays) || cfg.expiryDays);
  let granted = read();
  // True while the signal stands for a choice not made.
  let signal = !granted && free.length < all.length;
  let opener = null;
  if (signal && !free.length) granted = [];

  const allowed = (category) => !!granted && granted.includes(category);

  // The stored choice, if of this revision and not expired.
  function read() {
    const pair = d.cookie.split('; ').find((c) => c.startsWith(name + '='));
    try {
      const v = JSON.parse(decodeURIComponent(pair.slice(name.length + 1)));
      if (v.r === revision && Date.now() - Date.parse(v.d) < life(v.c) * 864e5) return v.c.filter((c) => all.includes(c));
    } catch (e) {
      // None, or unreadable: ask.
    }
    return null;
  }

  function store(list) {
    const value = encodeURIComponent(JSON.stringify({ r: revision, d: new Date().toISOString(), c: list }));
    const secure = location.protocol === 'https:' ? '; Secure' : '';
    d.cookie = `${name}=${value}; Path=${cfg.path}; Max-Age=${life(list) * 86400}; SameSite=Lax${secure}`;
  }

  // Deletes refused categories' cookies on this host and parent domains, at every path to here.
  function erase() {
    const patterns = switches
      .filter((s) => !allowed(s.value))
      .flatMap((s) => s.dataset.cookies.split(' ').filter(Boolean));
    const host = location.hostname.split('.');
    const parts = location.pathname.split('/');
    const domains = [''];
    const paths = ['/'];
    for (let i = 0; i < host.length - 1; i++) domains.push('; Domain=' + host.slice(i).join('.'));
    for (let i = 2; i < parts.length; i++) {
      const path = parts.slice(0, i).join('/');
      paths.push(path, path + '/');
    }
    for (const cookie of d.cookie.split('; ')) {
      const n = cookie.split('=')[0];
      const match = (p) => (p.endsWith('*') ? n.startsWith(p.slice(0, -1)) : n === p);
      if (!n || n === name || !patterns.some(match)) continue;
      for (const domain of domains) {
        for (const path of paths) d.cookie = `${n}=; Path=${path}${domain}; Max-Age=0`;
      }
    }
  }

  function run() {
    for (const old of d.querySelectorAll('script[type="text/plain"][data-consent]')) {
      if (!allowed(old.dataset.consent)) continue;
      const script = d.createElement('script');
      for (const a of old.attributes) {
        if (!['type', 'data-consent', 'data-src'].includes(a.name)) script.setAttribute(a.name, a.value);
      }
      if (old.dataset.src) {
        script.src = old.dataset.src;
        script.async = false;
      } else {
        script.text = old.text;
      }
      old.replaceWith(script);
    }
    for (const frame of d.querySelectorAll('iframe[data-consent][data-src]')) {
      if (allowed(frame.dataset.consent)) load(frame);
      // An embed (embeds.js) brings its own placeholder.
      else if (!frame.consentBox && !frame.hasAttribute('src') && !frame.closest('[data-embed]')) placeholder(frame);
    }
  }

  function load(frame) {
    if (frame.consentBox) frame.consentBox.remove();
    frame.consentBox = null;
    frame.hidden = false;
    if (!frame.hasAttribute('src')) frame.src = frame.dataset.src;
  }

  // A box of the frame's size, so that nothing moves.
  function placeholder(frame) {
    const box = d.createElement('div');
    const text = d.createElement('p');
    const button = d.createElement('button');
    const size = frame.getBoundingClientRect();
    const label = byId('consent-label-' + frame.dataset.consent);
    box.className = 'consent-embed';
    box.style.width = size.width + 'px';
    box.style.height = size.height + 'px';
    box.style.margin = getComputedStyle(frame).margin;
    text.textContent = cfg.embedMessage
      .replace('{host}', new URL(frame.dataset.src, location.href).host)
      .replace('{category}', label ? label.textContent.trim().toLowerCase() : frame.dataset.consent);
    button.type = 'button';
    button.className = 'consent__button';
    button.textContent = cfg.embedButton;
    button.addEventListener('click', () => {
      load(frame);
      frame.focus();
    });
    box.append(text, button);
    frame.consentBox = box;
    frame.hidden = true;
    frame.before(box);
  }

  // Emptied first, so that screen readers announce it.
  function say(text) {
    status.textContent = '';
    setTimeout(() => {
      status.textContent = text;
    }, 100);
  }

  function toggle(open) {
    choices.hidden = !open;
    choose.setAttribute('aria-expanded', String(open));
  }

  function show(open) {
    for (const s of switches) s.checked = allowed(s.value);
    const note = byId('consent-gpc');
    if (note) note.hidden = !signal;
    root.hidden = false;
    toggle(open);
    const text = (id) => byId(id).textContent.trim();
    say(`${text('consent-title')}. ${text('consent-message')}`);
  }

  function close() {
    root.hidden = true;
    toggle(false);
    if (opener) opener.focus();
    opener = null;
  }

  // Listeners (consent-gtag.js) hear of a choice before what it grants runs.
  function apply() {
    erase();
    if (granted) d.dispatchEvent(new CustomEvent('consent:change', { detail: granted }));
    run();
  }

  function decide(list) {
    granted = list;
    signal = false;
    store(list);
    apply();
    close();
    say(cfg.confirmation);
  }

  root.addEventListener('click', (event) => {
    const button = event.target.closest('[data-consent-action]');
    const action = button && button.dataset.consentAction;
    if (action === 'choose') return toggle(choices.hidden);
    const list = { accept: free, reject: [], save: switches.filter((s) => s.checked).map((s) => s.value) }[action];
    if (!list) return;
    opener = null;
    decide(list);
    // Focus goes on to the content, not back to <body>.
    const main = d.querySelector('main');
    const start = main && (main.querySelector('h1,h2,h3,h4,h5,h6') || main);
    if (!start) return;
    if (start.tabIndex < 0) start.tabIndex = -1;
    start.focus();
  });

  // Escape closes the choices without deciding; once a choice exists, it closes the banner.
  root.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape') return;
    if (!choices.hidden) {
      toggle(false);
      choose.focus();
    } else if (granted) {
      close();
    }
  });

  // An embed's "Always allow CATEGORY".
  d.addEventListener('consent:allow', (event) => {
    if (all.includes(event.detail)) decide([...new Set([...(granted || []), event.detail])]);
  });

  for (const button of d.querySelectorAll('[data-consent-action="settings"]')) {
    button.hidden = false;
    button.addEventListener('click', () => {
      opener = button;
      show(true);
      (switches[0] || choose).focus();
    });
  }

  // Room below the page's end for the banner, so that the footer can scroll above it.
  if (window.ResizeObserver) {
    new ResizeObserver(() => {
      d.documentElement.style.setProperty('--consent-room', `${root.offsetHeight}px`);
    }).observe(root);
  }

  apply();
  if (!granted) show(false);
})();
