// Create forms save once (ADR 0009). Each create form carries a hidden `form_token`;
// the server saves a token's form once and answers a resubmission with the record saved.
// This file, served from this site as the Content-Security-Policy requires, helps twice:
//
// - A second tap on a form already on its way is ignored, so one tap sends one request.
// - On submit, the token is noted in this history entry's state. Pages are never cached,
//   so Back draws the form afresh with a new token; when the entry noted one, it is put
//   back, with a notice, so that saving again shows the saved record rather than saving
//   a second one. "Start a new one" opens the form afresh.
(function () {
  "use strict";

  var FIELD = "form_token";
  var NOTICE =
    "You saved this form already: saving it again shows what was saved, it is not saved twice.";
  var START_AGAIN = "Start a new one";

  function tokenField(form) {
    return form.querySelector("input[type=hidden][name=" + FIELD + "]");
  }

  function noted() {
    var state = window.history.state;
    return state && typeof state === "object" && state.formTokens ? state.formTokens : {};
  }

  function note(form, token) {
    var state = window.history.state;
    state = state && typeof state === "object" ? Object.assign({}, state) : {};
    state.formTokens = Object.assign({}, state.formTokens || {});
    state.formTokens[form.action] = token;
    try {
      window.history.replaceState(state, "");
    } catch (e) {
      // A browser refusing history state still has the server's protection.
    }
  }

  function tellSaved(form) {
    var box = document.createElement("div");
    box.className = "usa-alert usa-alert--info usa-alert--slim margin-bottom-2";
    box.setAttribute("role", "status");
    var body = document.createElement("div");
    body.className = "usa-alert__body";
    var text = document.createElement("p");
    text.className = "usa-alert__text";
    text.textContent = (form.dataset.savedNotice || NOTICE) + " ";
    var link = document.createElement("a");
    link.className = "usa-link";
    link.href = window.location.pathname + window.location.search;
    link.textContent = form.dataset.startAgain || START_AGAIN;
    text.appendChild(link);
    body.appendChild(text);
    box.appendChild(body);
    form.parentNode.insertBefore(box, form);
  }

  // Back (or Forward) to a form this tab already sent: its token again.
  var sent = noted();
  Array.prototype.forEach.call(document.querySelectorAll("form"), function (form) {
    var field = tokenField(form);
    var token = sent[form.action];
    if (!field || !token || field.value === token) return;
    field.value = token;
    tellSaved(form);
  });

  // Bubbling to the document, this runs after the form's own handlers: a submit they
  // held back (the offline drafts do) is not on its way and is not noted.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var field = tokenField(form);
    if (!field) return;
    if (form.dataset.sending === "yes") {
      event.preventDefault();
      return;
    }
    if (event.defaultPrevented) return;
    form.dataset.sending = "yes";
    // A named button (such as "Check for earlier contacts") asks for the form back, unsaved.
    if (event.submitter && event.submitter.name) return;
    note(form, field.value);
  });

  // A page the browser kept in memory comes back as it was left: ready to send again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    Array.prototype.forEach.call(document.querySelectorAll("form"), function (form) {
      delete form.dataset.sending;
    });
  });
})();
