// The reader's time zone. Times are written by the server, in the zone named on <html
// data-zone> (views/times.py). When the browser's own zone is another, it is told once
// (views/language.py) and a page showing times is read again, now in the reader's zone.
// Forms: every <input name="tz"> gets the zone, so that times typed are read in it too, and a
// stored time being edited (data-utc) is shown in it.
(function () {
  "use strict";
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!zone) { return; }
  document.querySelectorAll("input[name=tz]").forEach(function (input) { input.value = zone; });
  document.querySelectorAll("input[data-utc]").forEach(function (input) {
    var d = new Date(input.getAttribute("data-utc"));
    if (isNaN(d)) { return; }
    var pad = function (n) { return String(n).padStart(2, "0"); };
    input.value = d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) +
      "T" + pad(d.getHours()) + ":" + pad(d.getMinutes());
  });
  document.querySelectorAll("[data-zone-name]").forEach(function (el) { el.textContent = zone; });

  var root = document.documentElement;
  var csrf = document.querySelector("meta[name=csrf-token]");
  var url = root.getAttribute("data-zone-url");
  if (root.getAttribute("data-zone") === zone || !csrf || !url) { return; }
  var body = new URLSearchParams({ zone: zone });
  fetch(url, {
    method: "POST", body: body, credentials: "same-origin",
    headers: { "X-CSRFToken": csrf.getAttribute("content") }
  }).then(function (response) {
    return response.ok ? response.json() : null;
  }).then(function (answer) {
    if (!answer || !document.querySelector("time[datetime*='T']")) { return; }
    // Once per zone: a browser that kept no cookie and no token would otherwise ask forever.
    try {
      if (!answer.token && sessionStorage.getItem("rapport-zone") === zone) { return; }
      sessionStorage.setItem("rapport-zone", zone);
    } catch (e) { if (!answer.token) { return; } }
    var next = new URL(window.location.href);
    if (answer.token) { next.searchParams.set("rs", answer.token); }
    window.location.replace(next.toString());
  }).catch(function () { /* the page keeps its times, their zone named */ });
})();
