document.cookie = '_mkt_probe=1; path=/';
window.probeMarketing = (window.probeMarketing || 0) + 1;
