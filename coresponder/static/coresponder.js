// Coresponder's own page behaviour. It lives in a file, not in the HTML, because the
// Content-Security-Policy allows scripts from this site only and no inline script.
(function () {
  "use strict";

  // The program switcher goes to the chosen program as soon as it changes; without
  // JavaScript its Switch button submits the same form.
  var switcher = document.getElementById("program-switcher");
  if (switcher && switcher.form) {
    switcher.addEventListener("change", function () {
      switcher.form.submit();
    });
  }
})();
