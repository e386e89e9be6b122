// Coresponder's own page behaviour. It lives in a file, not in the HTML, because the
// Content-Security-Policy allows scripts from this site only and no inline script.
(function () {
  "use strict";

  // The program switcher goes to the program chosen with a tap or a click as soon as it
  // changes; without JavaScript its Switch button submits the same form. Arrow keys on
  // a closed list change it one program at a time, so a keyboard choice waits for Enter
  // (or the Switch button, shown then): otherwise the first arrow would leave the page
  // for the next program, and those further down could not be reached.
  var switcher = document.getElementById("program-switcher");
  if (switcher && switcher.form) {
    var switchButton = switcher.form.querySelector("button[type=submit]");
    var byKeys = false;
    if (switchButton) switchButton.hidden = true;
    switcher.addEventListener("pointerdown", function () {
      byKeys = false;
    });
    switcher.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        if (switcher.value !== switcher.dataset.current) switcher.form.submit();
      } else if (event.key !== "Tab" && event.key !== "Shift") {
        byKeys = true;
      }
    });
    switcher.addEventListener("change", function () {
      if (!byKeys) {
        switcher.form.submit();
      } else if (switchButton) {
        switchButton.hidden = switcher.value === switcher.dataset.current;
      }
    });

    // On a narrow screen (or a wide one at 200% zoom) the menu opens over the page and
    // Tab goes round it until it is closed. USWDS takes the menu's last stop once, as
    // the page loads, and it is this Switch button, hidden then: Tab from the program
    // list would leave the open menu for links hidden behind it. The stops are counted
    // here as Tab is pressed, among the controls shown at that moment.
    var menu = switcher.closest(".usa-nav");
    if (menu) {
      menu.addEventListener("keydown", function (event) {
        if (event.key !== "Tab" || !menu.classList.contains("is-visible")) return;
        var stops = Array.prototype.filter.call(
          menu.querySelectorAll("a[href], button, input, select, textarea"),
          function (control) {
            return !control.disabled && control.getClientRects().length > 0;
          }
        );
        var first = stops[0];
        var last = stops[stops.length - 1];
        if (!event.shiftKey && document.activeElement === last) {
          event.preventDefault();
          first.focus();
        } else if (event.shiftKey && document.activeElement === first) {
          event.preventDefault();
          last.focus();
        }
      });
    }
  }

  // htmx fills parts of a page as people type or as the page loads (possible earlier
  // contacts on a referral, the dashboard's sections). An answer that never comes (no
  // signal in the car), a server error, or a sign-in that has ended (answered 401, see
  // core/middleware.py) would otherwise leave the old part, or "Loading…", as if all
  // were well: the part says what happened instead, in place of its "Loading…" status
  // if it has one, else at its top, leaving what it showed (a person already chosen
  // among earlier contacts stays chosen). A part may carry its own words, in the page's
  // language (data-htmx-failed).
  function failureText(status) {
    if (!status) return "Could not reach Coresponder: check the connection, then try again.";
    if (status === 401) return "Your sign-in has ended, so this part of the page was not updated.";
    if (status === 409) return "This changed since the page opened: reload the page to see it.";
    if (status >= 500) {
      return "Something went wrong on our side, so this part of the page was not updated. Try again in a moment.";
    }
    return "This part of the page could not be updated: reload the page and try again.";
  }

  function showFailure(target, status) {
    var own = target.closest("[data-htmx-failed]");
    var box = document.createElement("div");
    box.className = "cr-htmx-failed usa-alert usa-alert--error usa-alert--slim margin-y-1";
    box.setAttribute("role", "alert");
    var body = document.createElement("div");
    body.className = "usa-alert__body";
    var p = document.createElement("p");
    p.className = "usa-alert__text";
    p.textContent = (own && status !== 401 ? own.dataset.htmxFailed : failureText(status)) + " ";
    if (status === 401) {
      // Signing in again comes back to this page.
      var again = document.createElement("a");
      again.className = "usa-link";
      again.href = window.location.href;
      again.textContent = "Sign in again";
      p.appendChild(again);
    }
    body.appendChild(p);
    box.appendChild(body);
    var old =
      target.querySelector(":scope > [role='status']") ||
      target.querySelector(":scope > .cr-htmx-failed");
    if (old) {
      old.replaceWith(box);
    } else {
      target.insertBefore(box, target.firstChild);
    }
    target.removeAttribute("aria-busy");
  }

  function htmxFailed(event) {
    var detail = event.detail || {};
    var target = detail.target || event.target;
    if (!target || !target.isConnected) return;
    var status = event.type === "htmx:responseError" && detail.xhr ? detail.xhr.status : 0;
    showFailure(target, status);
  }
  document.body.addEventListener("htmx:responseError", htmxFailed);
  document.body.addEventListener("htmx:sendError", htmxFailed);

  // A form sent back with errors, far down a long page, is brought into view: the page
  // opens at its top, where nothing says the form was not saved.
  var refused = document.querySelector(
    "main form .usa-alert--error, main form .usa-form-group--error"
  );
  var scrolled = refused && refused.getBoundingClientRect().top > window.innerHeight;
  if (scrolled) {
    refused.scrollIntoView({ block: "center" });
  }

  // The page then opens on what happened to the form just sent: why it was refused, or
  // the message that it was saved. A screen reader reads an alert or status that is on
  // the page as it loads only now and then, so it gets the focus instead (it is read
  // first, and the next Tab goes on from there). A warning the page always carries
  // (contact through family refused) is no answer to the form.
  var said =
    document.querySelector("main .usa-alert--error:not(.cr-family-warning)") ||
    document.querySelector("main form [aria-invalid=true]") ||
    document.querySelector("main > .usa-alert[role=status]");
  if (said) {
    if (!said.matches("input, select, textarea, button")) {
      said.setAttribute("tabindex", "-1");
      // Focusable only while it has the focus: a click on it later does not outline it.
      said.addEventListener("blur", function () {
        said.removeAttribute("tabindex");
      });
    }
    said.focus({ preventScroll: Boolean(scrolled) });
  }

  // A sign-in ends after SESSION_IDLE_SECONDS (30 minutes) without a request to
  // Coresponder (<body data-idle-seconds>); typing in a form sends none. Two minutes
  // before it ends (halfway, for a shorter limit) a dialog says so and takes the focus:
  // one key keeps the sign-in (a request renews it), and the focus goes back where it
  // was (WCAG 2.2.1). Escape keeps it too. A part of the page htmx fills renews it.
  // The dialog counts the minutes down, and says so once the sign-in has ended. Every
  // tab of the site shares one sign-in: a page loaded or kept in one tab renews it for
  // all, so each tab notes the renewal in localStorage and the others start again.
  var idleSeconds = Number(document.body.dataset.idleSeconds);
  var stayUrl = document.body.dataset.stayUrl;
  var csrf = document.querySelector("input[name=csrfmiddlewaretoken]");
  if (idleSeconds > 0 && stayUrl && csrf) {
    var lead = Math.min(120, idleSeconds / 2);
    var warnTimer = null;
    var warning = null;
    var focusedBefore = null;

    var renewedKey = "cr-sign-in-renewed";
    var endsAt = 0;
    var countdown = null;

    var start = function () {
      window.clearTimeout(warnTimer);
      endsAt = Date.now() + idleSeconds * 1000;
      warnTimer = window.setTimeout(warn, (idleSeconds - lead) * 1000);
    };

    // This tab's request renewed the sign-in: start again here, and tell the other tabs.
    var arm = function () {
      start();
      try {
        window.localStorage.setItem(renewedKey, String(Date.now()));
      } catch (e) {
        // Storage refused (a private window): this tab still counts for itself.
      }
    };

    var closeWarning = function () {
      window.clearInterval(countdown);
      if (!warning) return;
      warning.remove();
      warning = null;
      if (focusedBefore && focusedBefore.isConnected) focusedBefore.focus();
    };

    window.addEventListener("storage", function (event) {
      if (event.key !== renewedKey) return;
      closeWarning();
      start();
    });

    var timeLeft = function () {
      var seconds = (endsAt - Date.now()) / 1000;
      if (seconds >= 90) {
        return "With no activity, you will be signed out in " + Math.round(seconds / 60) + " minutes.";
      }
      if (seconds >= 60) return "With no activity, you will be signed out in about a minute.";
      return "With no activity, you will be signed out in under a minute.";
    };

    var say = function (text, signInAgain) {
      var p = warning.querySelector(".usa-alert__text");
      p.textContent = text + " ";
      if (signInAgain) {
        var again = document.createElement("a");
        again.className = "usa-link";
        again.href = window.location.href;
        again.textContent = "Sign in again";
        p.appendChild(again);
      }
    };

    var stay = function () {
      var body = new URLSearchParams();
      body.append("csrfmiddlewaretoken", csrf.value);
      window
        .fetch(stayUrl, { method: "POST", body: body, credentials: "same-origin" })
        .then(function (response) {
          if (response.status === 204) {
            closeWarning();
            arm();
          } else {
            say("Your sign-in has ended; what you typed in a form is kept on this device.", true);
          }
        })
        .catch(function () {
          say("Could not reach Coresponder: check the connection, then try again.", false);
        });
    };

    var warn = function () {
      if (warning) return;
      focusedBefore = document.activeElement;
      warning = document.createElement("div");
      warning.className = "cr-time-limit usa-alert usa-alert--warning";
      warning.setAttribute("role", "alertdialog");
      warning.setAttribute("aria-labelledby", "time-limit-heading");
      warning.setAttribute("aria-describedby", "time-limit-text");
      var box = document.createElement("div");
      box.className = "usa-alert__body";
      var heading = document.createElement("h2");
      heading.className = "usa-alert__heading";
      heading.id = "time-limit-heading";
      heading.textContent = "Your sign-in is about to end";
      var text = document.createElement("p");
      text.className = "usa-alert__text";
      text.id = "time-limit-text";
      var kept = " What you type in a form is kept on this device.";
      text.textContent = timeLeft() + kept;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "usa-button margin-top-1";
      button.textContent = "Stay signed in";
      button.addEventListener("click", stay);
      warning.addEventListener("keydown", function (event) {
        if (event.key === "Escape") stay();
      });
      box.appendChild(heading);
      box.appendChild(text);
      box.appendChild(button);
      warning.appendChild(box);
      document.body.appendChild(warning);
      button.focus();
      // The words change only when the minutes do, so a screen reader is not kept busy.
      countdown = window.setInterval(function () {
        if (!warning) return;
        if (Date.now() >= endsAt) {
          window.clearInterval(countdown);
          button.remove();
          say("Your sign-in has ended; what you typed in a form is kept on this device.", true);
          warning.querySelector(".usa-alert__heading").textContent = "Your sign-in has ended";
          warning.querySelector("a").focus();
          return;
        }
        var said = timeLeft() + kept;
        if (text.textContent !== said) text.textContent = said;
      }, 1000);
    };

    document.body.addEventListener("htmx:afterRequest", arm);
    arm();
  }

  // Offline drafts: <form data-draft="KEY"> keeps what was typed on this device.
  //
  // - Every input saves the form's fields to localStorage under KEY. Passwords, the
  //   CSRF token, hidden fields (the server's, such as `version`) and files are never
  //   saved.
  // - On load a saved draft is put back, with a "Draft restored" notice and a button
  //   to discard it.
  // - A submit notes KEY in sessionStorage; the next page load clears the draft
  //   unless it shows the same form with errors (then the server keeps what was typed),
  //   or is the sign-in page (the sign-in had lapsed, so nothing was saved).
  // - Submitting while the browser is offline does not send: a status message says
  //   the draft is kept, and the form is sent when the browser is back online.
  // Use a KEY unique to the record being edited (e.g. "attempt-42"): two forms with
  // one KEY share a draft.
  // - Drafts are kept under the signed-in person's opaque name (<body data-draft-owner>):
  //   on a shared phone or car laptop, signing in as someone else forgets the drafts of
  //   whoever used it before, and signing out has the browser forget them all.
  var PREFIX = "coresponder.draft.";
  var SUBMITTED = "coresponder.draft.submitted";
  var OFFLINE_TEXT =
    "You're offline. Your draft is saved on this device and will be sent when you reconnect.";

  function storage(kind) {
    // Private browsing and strict settings may refuse storage: drafts then do nothing.
    try {
      var store = window[kind];
      var probe = PREFIX + "probe";
      store.setItem(probe, "1");
      store.removeItem(probe);
      return store;
    } catch (e) {
      return null;
    }
  }

  var local = storage("localStorage");
  var session = storage("sessionStorage");

  function draftable(field) {
    if (!field.name || field.disabled) return false;
    if (field.name === "csrfmiddlewaretoken") return false;
    var type = (field.type || "").toLowerCase();
    return ["password", "file", "hidden", "submit", "button", "reset", "image"].indexOf(type) < 0;
  }

  function fieldsOf(form) {
    return Array.prototype.filter.call(form.elements, draftable);
  }

  // { name: [values...] }: the checked boxes, chosen options or typed values per name.
  function collect(form) {
    var data = {};
    fieldsOf(form).forEach(function (field) {
      var values = data[field.name] || (data[field.name] = []);
      var type = (field.type || "").toLowerCase();
      if (type === "checkbox" || type === "radio") {
        if (field.checked) values.push(field.value);
      } else if (field.tagName === "SELECT" && field.multiple) {
        Array.prototype.forEach.call(field.selectedOptions, function (option) {
          values.push(option.value);
        });
      } else {
        values.push(field.value);
      }
    });
    return data;
  }

  function apply(form, data) {
    var seen = {};
    fieldsOf(form).forEach(function (field) {
      var values = data[field.name];
      if (!values) return;
      var type = (field.type || "").toLowerCase();
      if (type === "checkbox" || type === "radio") {
        field.checked = values.indexOf(field.value) >= 0;
      } else if (field.tagName === "SELECT" && field.multiple) {
        Array.prototype.forEach.call(field.options, function (option) {
          option.selected = values.indexOf(option.value) >= 0;
        });
      } else {
        var index = seen[field.name] || 0;
        seen[field.name] = index + 1;
        if (index < values.length) field.value = values[index];
      }
    });
  }

  function hasContent(data) {
    return Object.keys(data).some(function (name) {
      return data[name].some(function (value) {
        return value !== "";
      });
    });
  }

  function showsErrors(form) {
    var scope = form.parentElement || form;
    return Boolean(
      scope.querySelector(
        ".usa-alert--error, .usa-error-message, .usa-form-group--error, [aria-invalid='true']"
      )
    );
  }

  function notice(form, text, withDiscard) {
    var box = document.createElement("div");
    box.className = "usa-alert usa-alert--info usa-alert--slim margin-bottom-2";
    box.setAttribute("role", "status");
    var body = document.createElement("div");
    body.className = "usa-alert__body";
    var p = document.createElement("p");
    p.className = "usa-alert__text";
    p.textContent = text + " ";
    body.appendChild(p);
    box.appendChild(body);
    if (withDiscard) {
      var discard = document.createElement("button");
      discard.type = "button";
      discard.className = "usa-button usa-button--unstyled";
      discard.textContent = "Discard draft";
      discard.addEventListener("click", function () {
        local.removeItem(OWNED + form.dataset.draft);
        form.reset();
        box.remove();
      });
      p.appendChild(discard);
    }
    form.parentNode.insertBefore(box, form);
    return box;
  }

  function liveRegion(form) {
    var region = document.createElement("div");
    region.className = "usa-alert usa-alert--warning usa-alert--slim margin-bottom-2";
    region.setAttribute("role", "status");
    region.setAttribute("aria-live", "polite");
    region.hidden = true;
    var body = document.createElement("div");
    body.className = "usa-alert__body";
    var p = document.createElement("p");
    p.className = "usa-alert__text";
    body.appendChild(p);
    region.appendChild(body);
    form.parentNode.insertBefore(region, form);
    return {
      say: function (text) {
        region.hidden = !text;
        p.textContent = text;
      },
    };
  }

  var OWNER = document.body.dataset.draftOwner || "";
  var OWNED = PREFIX + OWNER + ".";

  var SOMEONES = /^[0-9a-f]{20}\./;

  function forgetOthersDrafts() {
    // Another person's drafts are forgotten; a draft kept before drafts had an owner
    // (an offline visit waiting to be sent) goes to whoever signs in first.
    var names = [];
    for (var i = 0; i < local.length; i++) names.push(local.key(i));
    names.forEach(function (name) {
      if (!name || name.indexOf(PREFIX) !== 0 || name.indexOf(OWNED) === 0) return;
      var rest = name.slice(PREFIX.length);
      if (!SOMEONES.test(rest) && !local.getItem(OWNED + rest)) {
        local.setItem(OWNED + rest, local.getItem(name));
      }
      local.removeItem(name);
    });
  }

  function keepDrafts(form) {
    var key = OWNED + form.dataset.draft;
    var status = liveRegion(form);
    var waiting = false;

    if (session && session.getItem(SUBMITTED) === form.dataset.draft) {
      session.removeItem(SUBMITTED);
      // Sent: the page after a good submit holds no errors, so the draft has done its job.
      if (!showsErrors(form)) local.removeItem(key);
    } else {
      var saved = null;
      try {
        saved = JSON.parse(local.getItem(key) || "null");
      } catch (e) {
        local.removeItem(key);
      }
      if (saved && hasContent(saved)) {
        apply(form, saved);
        notice(form, "Draft restored.", true);
      }
    }

    function save() {
      local.setItem(key, JSON.stringify(collect(form)));
    }
    form.addEventListener("input", save);
    form.addEventListener("change", save);

    form.addEventListener("submit", function (event) {
      save();
      if (navigator.onLine === false) {
        event.preventDefault();
        waiting = true;
        status.say(OFFLINE_TEXT);
        return;
      }
      waiting = false;
      if (session) session.setItem(SUBMITTED, form.dataset.draft);
    });

    window.addEventListener("online", function () {
      if (!waiting) return;
      waiting = false;
      status.say("Back online: sending your draft.");
      if (typeof form.requestSubmit === "function") {
        form.requestSubmit();
      } else {
        if (session) session.setItem(SUBMITTED, form.dataset.draft);
        form.submit();
      }
    });
  }

  if (session && !OWNER && document.querySelector("main form input[type=password]")) {
    // A form sent once the sign-in had lapsed (30 minutes idle on a doorstep) is
    // answered by the sign-in page: nothing was saved. Its draft stays, to be put back
    // on the form once the person has signed in again, not taken for sent.
    session.removeItem(SUBMITTED);
  }

  if (local && OWNER) {
    forgetOthersDrafts();
    // A draft sent from a form this page no longer shows (a visit that closed its task)
    // went through: the form would be here, with its errors, had it been refused.
    var sentKey = session ? session.getItem(SUBMITTED) : null;
    var forms = document.querySelectorAll("form[data-draft]");
    var shown = Array.prototype.some.call(forms, function (form) {
      return form.dataset.draft === sentKey;
    });
    if (sentKey && !shown) {
      session.removeItem(SUBMITTED);
      local.removeItem(OWNED + sentKey);
    }
    Array.prototype.forEach.call(document.querySelectorAll("form[data-draft]"), keepDrafts);
  }

  // A field asked only with one answer: <div data-shown-when="NAME" data-shown-value="VALUE">
  // around it shows it only while the form's NAME (radios or a list) is VALUE (or one of
  // several, space-separated), such as the date of death with the outcome Deceased.
  // Hidden, its controls are disabled as well: nobody tabs into them, and nothing in them
  // is sent. Without this script the field shows, its hint saying when it is needed. One
  // the server sent back with an error stays in view until the answer changes, so the
  // error can be read and put right. This runs after drafts are put back, so a restored
  // answer shows its field.
  function chosenValue(form, name) {
    var field = form.elements.namedItem(name);
    if (!field) return "";
    if (field.type === "radio" || field.type === "checkbox") return field.checked ? field.value : "";
    return field.value || "";
  }

  function showWithAnswer(part) {
    var form = part.closest("form");
    var name = part.dataset.shownWhen;
    var values = (part.dataset.shownValue || "").split(" ");
    if (!form || !name) return;
    var controls = part.querySelectorAll("input, select, textarea, button");

    function update() {
      var shown = values.indexOf(chosenValue(form, name)) >= 0;
      part.hidden = !shown;
      Array.prototype.forEach.call(controls, function (control) {
        control.disabled = !shown;
      });
    }

    if (part.id) {
      Array.prototype.forEach.call(form.querySelectorAll("[name]"), function (answer) {
        if (answer.name === name && values.indexOf(answer.value) >= 0) {
          answer.setAttribute("aria-controls", part.id);
        }
      });
    }
    if (!part.querySelector(".usa-error-message")) update();
    form.addEventListener("change", function (event) {
      if (event.target.name === name) update();
    });
    form.addEventListener("reset", function () {
      // The form's fields take their first values only after this event.
      window.setTimeout(update, 0);
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-shown-when]"), showWithAnswer);
})();
