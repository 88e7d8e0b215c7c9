/* aimsite: Google Analytics 4, run by consent.js only after consent to `analytics`.
   The measurement id comes from this script's data-ga4-id attribute. */
(() => {
  'use strict';
  const id = document.currentScript.getAttribute('data-ga4-id');
  window.dataLayer = window.dataLayer || [];
  // consent-gtag.js defines it first, with Consent Mode's defaults.
  window.gtag =
    window.gtag ||
    function gtag() {
      window.dataLayer.push(arguments);
    };
  window.gtag('js', new Date());
  window.gtag('config', id);
  const script = document.createElement('script');
  script.async = true;
  script.src = 'https://www.googletagmanager.com/gtag/js?id=' + encodeURIComponent(id);
  document.head.append(script);
})();
