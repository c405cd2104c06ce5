// Rewrites every <time data-local> in the reader's own time zone, and fills every
// <input name="tz"> with that zone so times typed into forms are read in it too.
(function () {
  "use strict";
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  var styles = {
    datetime: { day: "numeric", month: "short", year: "numeric", hour: "2-digit",
                minute: "2-digit", timeZoneName: "short" },
    date: { day: "numeric", month: "short", year: "numeric" }
  };
  document.querySelectorAll("time[data-local]").forEach(function (el) {
    var when = new Date(el.getAttribute("datetime"));
    if (isNaN(when)) { return; }
    var style = styles[el.getAttribute("data-local")] || styles.datetime;
    el.textContent = when.toLocaleString(document.documentElement.lang || undefined, style);
  });
  if (zone) {
    document.querySelectorAll("input[name=tz]").forEach(function (input) { input.value = zone; });
    // A stored time being edited is shown in the same zone the form will be read in.
    document.querySelectorAll("input[data-utc]").forEach(function (input) {
      var d = new Date(input.getAttribute("data-utc"));
      if (isNaN(d)) { return; }
      var pad = function (n) { return String(n).padStart(2, "0"); };
      input.value = d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) +
        "T" + pad(d.getHours()) + ":" + pad(d.getMinutes());
    });
    document.querySelectorAll("[data-zone-name]").forEach(function (el) { el.textContent = zone; });
  }
})();
