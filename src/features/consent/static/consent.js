/* aimsite cookie consent. Asks before anything optional runs: a gated
   <script type="text/plain" data-consent="CAT"> or <iframe data-consent="CAT" data-src>
   runs or loads only once the visitor has consented to CAT. Its settings are the data
   attributes of #consent (see README, "Cookie consent"). No eval, no inline handlers. */
(() => {
  'use strict';
  const d = document;
  const root = d.getElementById('consent');
  if (!root) return;
  const cfg = root.dataset;
  const name = cfg.cookie;
  const revision = Number(cfg.revision);
  const days = Number(cfg.expiryDays);
  const choices = d.getElementById('consent-choices');
  const choose = root.querySelector('[data-consent-action="choose"]');
  const status = d.getElementById('consent-status');
  const switches = [...root.querySelectorAll('input[data-cookies]')];
  const all = switches.map((s) => s.value);
  let granted = read();
  let opener = null;

  const allowed = (category) => !!granted && granted.includes(category);

  // The stored choice if it is for this revision and not expired, else null: ask again.
  function read() {
    const pair = d.cookie.split('; ').find((c) => c.startsWith(name + '='));
    if (!pair) return null;
    try {
      const v = JSON.parse(decodeURIComponent(pair.slice(name.length + 1)));
      if (v.r === revision && Date.now() - Date.parse(v.d) < days * 864e5 && Array.isArray(v.c)) {
        return v.c.filter((c) => all.includes(c));
      }
    } catch (e) {
      // A choice we cannot read counts as none.
    }
    return null;
  }

  function store(list) {
    const value = encodeURIComponent(JSON.stringify({ r: revision, d: new Date().toISOString(), c: list }));
    const secure = location.protocol === 'https:' ? '; Secure' : '';
    d.cookie = `${name}=${value}; Path=${cfg.path}; Max-Age=${days * 86400}; SameSite=Lax${secure}`;
  }

  // Deletes the cookies of every category not granted, on this host and its parent domains,
  // at every path from the root down to this page.
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

  // Runs the gated scripts and loads the gated frames of the granted categories; puts a
  // placeholder in place of every other gated frame.
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
      else if (!frame.consentBox && !frame.hasAttribute('src')) placeholder(frame);
    }
  }

  function load(frame) {
    if (frame.consentBox) frame.consentBox.remove();
    frame.consentBox = null;
    frame.hidden = false;
    if (!frame.hasAttribute('src')) frame.src = frame.dataset.src;
  }

  // A box of the frame's size, so that nothing moves, with a button to load this one frame.
  function placeholder(frame) {
    const box = d.createElement('div');
    const text = d.createElement('p');
    const button = d.createElement('button');
    const size = frame.getBoundingClientRect();
    const label = d.getElementById('consent-label-' + frame.dataset.consent);
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

  // Sets the text of the live region so that screen readers announce it.
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
    root.hidden = false;
    toggle(open);
    const text = (id) => d.getElementById(id).textContent.trim();
    say(`${text('consent-title')}. ${text('consent-message')}`);
  }

  function close() {
    root.hidden = true;
    toggle(false);
    if (opener) opener.focus();
    opener = null;
  }

  function decide(list) {
    granted = list;
    store(list);
    erase();
    run();
    close();
    say(cfg.confirmation);
  }

  root.addEventListener('click', (event) => {
    const button = event.target.closest('[data-consent-action]');
    const action = button && button.dataset.consentAction;
    if (action === 'accept') decide(all);
    else if (action === 'reject') decide([]);
    else if (action === 'save') decide(switches.filter((s) => s.checked).map((s) => s.value));
    else if (action === 'choose') toggle(choices.hidden);
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

  for (const button of d.querySelectorAll('[data-consent-action="settings"]')) {
    button.hidden = false;
    button.addEventListener('click', () => {
      opener = button;
      show(true);
      (switches[0] || choose).focus();
    });
  }

  // The room the page leaves below its end for the banner: its height, 0 while hidden. Where
  // ResizeObserver is missing (before 2020), the banner still works; only the room is lost.
  if (window.ResizeObserver) {
    new ResizeObserver(() => {
      d.documentElement.style.setProperty('--consent-room', `${root.offsetHeight}px`);
    }).observe(root);
  }

  erase();
  run();
  if (!granted) show(false);
})();
