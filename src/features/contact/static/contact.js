/* The contact page (templates/partials/contact-form.html). Loaded with `defer` on the contact
   page only; the page works without it. No inline handlers, no eval, no inline styles.
   - Writes the firm's e-mail links from reversed halves ([data-email-link]).
   - Checks the form on submit with the GOV.UK Design System error pattern: an error summary
     that takes focus and links to each field, a message per field tied with aria-describedby,
     aria-invalid, and "Error: " before the title; each error clears as it is fixed.
   - Drops submissions that filled the honeypot (the providers drop their own).
   - For the mailto backend, composes the e-mail and opens it in the visitor's e-mail program. */
(function () {
  'use strict';

  var reverse = function (text) { return Array.from(text || '').reverse().join(''); };
  var address = function (element) {
    var user = reverse(element.getAttribute('data-email-user'));
    var domain = reverse(element.getAttribute('data-email-domain'));
    return user && domain ? user + '@' + domain : '';
  };

  document.querySelectorAll('[data-email-link]').forEach(function (slot) {
    var email = address(slot);
    if (!email) return;
    var link = document.createElement('a');
    link.href = 'mailto:' + email;
    link.textContent = email;
    slot.replaceChildren(link);
  });

  var form = document.querySelector('form[data-contact-form]');
  if (!form) return;
  var summary = form.querySelector('[data-error-summary]');
  var summaryList = summary.querySelector('ul');
  var honeypot = form.querySelector('[data-honeypot]');
  var backend = form.getAttribute('data-backend');
  var title = document.title;
  var controls = Array.from(form.querySelectorAll('input, select, textarea')).filter(function (control) {
    return control.id && document.getElementById(control.id + '-error');
  });

  form.noValidate = true;
  form.hidden = false;
  form.removeAttribute('data-needs-script');

  var digits = function (text) { return (text.match(/\d/g) || []).length; };
  var checks = {
    email: function (value) { return /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/.test(value); },
    tel: function (value) {
      return /^\+?[\d\s().\/-]+$/.test(value) && digits(value) >= 5 && digits(value) <= 15;
    }
  };

  /* The message for a control's current value, or '' when it is fine. */
  var problem = function (control) {
    var empty = control.type === 'checkbox' ? !control.checked : control.value.trim() === '';
    if (empty) return control.required ? control.getAttribute('data-error-required') || '' : '';
    var check = checks[control.type];
    return check && !check(control.value.trim()) ? control.getAttribute('data-error-invalid') || '' : '';
  };

  var describedBy = function (control, id, present) {
    var ids = (control.getAttribute('aria-describedby') || '').split(/\s+/).filter(function (each) {
      return each && each !== id;
    });
    if (present) ids.push(id);
    if (ids.length) control.setAttribute('aria-describedby', ids.join(' '));
    else control.removeAttribute('aria-describedby');
  };

  var showError = function (control, message) {
    var error = document.getElementById(control.id + '-error');
    var prefix = document.createElement('span');
    prefix.className = 'visually-hidden';
    prefix.textContent = 'Error: ';
    error.replaceChildren(prefix, document.createTextNode(message));
    error.hidden = false;
    control.setAttribute('aria-invalid', 'true');
    describedBy(control, error.id, true);
    control.closest('.field').classList.add('field--error');
  };

  var clearError = function (control) {
    var error = document.getElementById(control.id + '-error');
    error.replaceChildren();
    error.hidden = true;
    control.removeAttribute('aria-invalid');
    describedBy(control, error.id, false);
    control.closest('.field').classList.remove('field--error');
  };

  /* Lists the fields now in error, in the order of the form; the title says so. The links
     are updated in place, not rebuilt: a field's blur, which updates the list, comes between
     the press and the release of a click on one of them. */
  var updateSummary = function () {
    var existing = {};
    Array.from(summaryList.children).forEach(function (item) {
      existing[item.firstChild.getAttribute('href')] = item;
    });
    var items = controls.filter(function (control) {
      return control.getAttribute('aria-invalid') === 'true';
    }).map(function (control) {
      var item = existing['#' + control.id];
      if (!item) {
        var link = document.createElement('a');
        link.href = '#' + control.id;
        item = document.createElement('li');
        item.append(link);
      }
      item.firstChild.textContent = document.getElementById(control.id + '-error').lastChild.textContent;
      return item;
    });
    Array.from(summaryList.children).forEach(function (item) {
      if (items.indexOf(item) < 0) item.remove();
    });
    items.forEach(function (item, index) {
      if (summaryList.children[index] !== item) summaryList.insertBefore(item, summaryList.children[index] || null);
    });
    summary.hidden = items.length === 0;
    document.title = items.length ? 'Error: ' + title : title;
    return items.length;
  };

  summaryList.addEventListener('click', function (event) {
    var link = event.target.closest('a');
    var control = link && document.getElementById(link.hash.slice(1));
    if (!control) return;
    event.preventDefault();
    var label = control.labels && control.labels[0];
    (label || control).scrollIntoView();
    control.focus({ preventScroll: true });
  });

  controls.forEach(function (control) {
    /* While typing, an error only goes away; on leaving the field its message is brought up
       to date. Fields without an error are left alone until the next submit. */
    var recheck = function (event) {
      if (control.getAttribute('aria-invalid') !== 'true') return;
      var message = problem(control);
      if (!message) clearError(control);
      else if (event.type !== 'input') showError(control, message);
      updateSummary();
    };
    control.addEventListener('input', recheck);
    control.addEventListener('change', recheck);
    control.addEventListener('blur', recheck);
  });

  var value = function (selector) {
    var control = form.querySelector(selector);
    return control ? control.value.trim() : '';
  };

  /* mailto: URL of the e-mail: the subject chosen (or the default), the message, then who
     wrote it. Line breaks are CRLF, as RFC 6068 asks. */
  var mailto = function () {
    var encode = function (text) {
      return encodeURIComponent(text.replace(/\r\n?/g, '\n')).replace(/%0A/g, '%0D%0A');
    };
    var lines = [value('[data-mail-body]'), '', '--'];
    form.querySelectorAll('[data-mail-label]').forEach(function (control) {
      if (control.value.trim()) lines.push(control.getAttribute('data-mail-label') + ': ' + control.value.trim());
    });
    var subject = value('[data-mail-subject]') || form.getAttribute('data-mail-default-subject');
    return 'mailto:' + address(form) + '?subject=' + encode(subject) + '&body=' + encode(lines.join('\n'));
  };

  var showSent = function (url) {
    var sent = document.querySelector('[data-mail-sent]');
    if (!sent) return;
    var retry = sent.querySelector('[data-mail-retry]');
    if (retry) retry.href = url;
    form.hidden = true;
    sent.hidden = false;
    sent.focus();
  };

  form.addEventListener('submit', function (event) {
    controls.forEach(function (control) {
      var message = problem(control);
      if (message) showError(control, message);
      else clearError(control);
    });
    if (updateSummary()) {
      event.preventDefault();
      summary.focus();
      return;
    }
    var trapped = honeypot && honeypot.value !== '';
    if (backend === 'mailto') {
      event.preventDefault();
      var url = mailto();
      if (!trapped) window.location.href = url;
      showSent(url);
    } else if (trapped && backend === 'custom') {
      event.preventDefault();
      window.location.href = form.getAttribute('data-thanks-url');
    }
  });
}());
