/* aimsite: Google Consent Mode v2, shipped with ga4_id and run before consent.js, so before any
   Google tag: every Google storage is denied until the visitor's choice (stored or new) says
   otherwise. Categories map to Google's keys: analytics -> analytics_storage; marketing ->
   ad_storage, ad_user_data, ad_personalization. */
(() => {
  'use strict';
  const w = window;
  w.dataLayer = w.dataLayer || [];
  // gtag.js reads the arguments object itself, not an array.
  w.gtag = w.gtag || function gtag() {
    w.dataLayer.push(arguments);
  };
  const state = (granted, category) => (granted.includes(category) ? 'granted' : 'denied');
  const modes = (granted) => {
    const ads = state(granted, 'marketing');
    return {
      ad_storage: ads,
      ad_user_data: ads,
      ad_personalization: ads,
      analytics_storage: state(granted, 'analytics'),
    };
  };
  w.gtag('consent', 'default', modes([]));
  document.addEventListener('consent:change', (event) => w.gtag('consent', 'update', modes(event.detail)));
})();
