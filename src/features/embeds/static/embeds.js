/* aimsite embeds: "Load once" loads one frame on this page; "Always allow CATEGORY" asks the
   cookie banner (consent.js) to record consent to the category, which then loads every frame
   of it, here and on later pages. Loaded by each embed; runs once. */
(() => {
  'use strict';
  const d = document;
  if (d.documentElement.dataset.embeds) return;
  d.documentElement.dataset.embeds = 'on';
  const banner = d.getElementById('consent');
  for (const embed of d.querySelectorAll('[data-embed]')) {
    const frame = embed.querySelector('iframe[data-src]');
    const actions = embed.querySelector('.embed__actions');
    if (!frame || !actions) continue;
    // Without the banner there is no consent to record.
    if (!banner) actions.querySelector('[data-embed-action="always"]').remove();
    actions.hidden = false;
    actions.addEventListener('click', (event) => {
      const action = event.target.closest('[data-embed-action]');
      if (!action) return;
      if (action.dataset.embedAction === 'always') {
        d.dispatchEvent(new CustomEvent('consent:allow', { detail: action.dataset.category }));
      }
      if (!frame.hasAttribute('src')) frame.src = frame.dataset.src;
      frame.hidden = false;
      frame.focus();
    });
  }
})();
