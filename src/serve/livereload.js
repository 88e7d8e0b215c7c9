// aimsite serve: reloads the page when the site is rebuilt, swaps stylesheets when only CSS
// changed, and shows build errors over the page until the next good build. Served only by
// `aimsite serve`, never part of a built site.
(function () {
  "use strict";
  var script = document.currentScript;
  var version = script ? new URL(script.src).searchParams.get("v") || "" : "";
  var overlay = null;

  // The site's own styles also apply inside the overlay: set everything that matters.
  function plain(element, color) {
    var style = element.style;
    style.background = "transparent";
    style.color = color;
    style.border = "0";
    style.borderRadius = "0";
    style.boxShadow = "none";
    style.padding = "0";
    style.font = "inherit";
    style.textAlign = "left";
    return element;
  }

  function showErrors(report) {
    clearErrors();
    overlay = document.createElement("div");
    overlay.id = "aimsite-error-overlay";
    overlay.setAttribute("role", "alert");
    var style = overlay.style;
    style.position = "fixed";
    style.inset = "0";
    style.zIndex = "2147483647";
    style.overflow = "auto";
    style.padding = "2rem";
    style.background = "rgba(20, 20, 20, 0.97)";
    style.color = "#f5f5f5";
    style.font = "14px/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace";
    var title = plain(document.createElement("p"), "#ffffff");
    title.textContent = "The site does not build. Fix the problem" +
      (report.problems.length === 1 ? "" : "s") + " below and save: this page updates by itself.";
    title.style.font = "bold 16px/1.5 system-ui, sans-serif";
    title.style.marginTop = "0";
    overlay.appendChild(title);
    report.problems.forEach(function (problem) {
      var where = plain(document.createElement("p"), "#ffb4a8");
      where.textContent = problem.file + (problem.line ? ":" + problem.line + ":" + problem.column : "");
      where.style.margin = "1.5rem 0 0.25rem";
      overlay.appendChild(where);
      var text = plain(document.createElement("pre"), "#f5f5f5");
      text.textContent = problem.text;
      text.style.whiteSpace = "pre-wrap";
      text.style.overflow = "visible";
      text.style.margin = "0";
      overlay.appendChild(text);
    });
    document.body.appendChild(overlay);
  }

  function clearErrors() {
    if (overlay && overlay.parentNode) {
      overlay.parentNode.removeChild(overlay);
    }
    overlay = null;
  }

  // Points each stylesheet at its new file (fingerprinted names change with the content), or at
  // the same file with a new query, which makes the browser fetch it again.
  function swapStylesheets(change) {
    var renamed = {};
    (change.styles || []).forEach(function (pair) { renamed[pair[0]] = pair[1]; });
    var links = document.querySelectorAll("link[rel~='stylesheet'][href]");
    Array.prototype.forEach.call(links, function (link) {
      var url = new URL(link.href, location.href);
      if (url.origin !== location.origin) {
        return;
      }
      var next = new URL(renamed[url.pathname] || url.pathname, location.href);
      next.searchParams.set("aimsite-reload", String(Date.now()));
      var fresh = link.cloneNode(false);
      fresh.href = next.pathname + next.search;
      fresh.addEventListener("load", function () { link.remove(); });
      fresh.addEventListener("error", function () { link.remove(); });
      link.after(fresh);
    });
  }

  function data(event) {
    try {
      return JSON.parse(event.data || "{}");
    } catch (error) {
      return {};
    }
  }

  // The page says which it is, so that a rebuild makes it before the rest of the site.
  var events = new EventSource("/__aimsite/events?since=" + encodeURIComponent(version) +
    "&page=" + encodeURIComponent(location.pathname));
  // Tells tests (and the curious, in the console) that the page is listening.
  events.addEventListener("open", function () { window.__aimsiteLiveReload = "connected"; });
  events.addEventListener("reload", function () { location.reload(); });
  events.addEventListener("css", function (event) { swapStylesheets(data(event)); });
  events.addEventListener("ok", clearErrors);
  events.addEventListener("error", function (event) {
    // The EventSource reports a lost connection as an `error` without data; it reconnects by
    // itself.
    if (typeof event.data === "string") {
      showErrors(data(event));
    }
  });
})();
