// "Use my location" on forms that take a latitude and longitude: a phone on scene fills
// them from its position. The button stays hidden where the browser cannot locate, and
// the fields remain to type, so the form works without it.
//
// <button data-locate-latitude="ID" data-locate-longitude="ID" data-locate-status="ID" hidden>
(function () {
  "use strict";

  var DENIED = "Location is blocked for this site. Type the latitude and longitude, or the place.";
  var FAILED = "Your location could not be found. Type the latitude and longitude, or the place.";
  var FINDING = "Finding your location…";

  function fill(input, value) {
    input.value = value.toFixed(6);
    // Offline drafts and other listeners see the change as if it were typed.
    input.dispatchEvent(new Event("input", { bubbles: true }));
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function wire(button) {
    var latitude = document.getElementById(button.dataset.locateLatitude);
    var longitude = document.getElementById(button.dataset.locateLongitude);
    var status = document.getElementById(button.dataset.locateStatus);
    if (!latitude || !longitude || !status) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      status.textContent = FINDING;
      button.disabled = true;
      navigator.geolocation.getCurrentPosition(
        function (position) {
          fill(latitude, position.coords.latitude);
          fill(longitude, position.coords.longitude);
          var metres = Math.round(position.coords.accuracy || 0);
          status.textContent =
            "Latitude and longitude filled from your location" +
            (metres ? " (within about " + metres + " m)." : ".");
          button.disabled = false;
        },
        function (error) {
          status.textContent = error.code === error.PERMISSION_DENIED ? DENIED : FAILED;
          button.disabled = false;
        },
        { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 }
      );
    });
  }

  if (!("geolocation" in navigator)) return;
  Array.prototype.forEach.call(document.querySelectorAll("[data-locate-latitude]"), wire);
})();
