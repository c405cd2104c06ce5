// Type-ahead for a plain GET search form (progressive enhancement). The form names, in
// data-live-search, the id of the results it governs; as someone types, the same page is
// fetched with the form's fields and those results are replaced by the fetched page's, and
// the page's status line (id "search-status", an aria-live region outside the results) takes
// the fetched page's words, so screen readers hear what was found. Without this script the
// form's button does the same with a page load.
(function () {
  "use strict";
  if (!window.fetch || !window.DOMParser || !window.URLSearchParams) { return; }
  var WAIT_MS = 250;

  function keepChoices(region) {
    var kept = {};
    Array.prototype.forEach.call(region.querySelectorAll("select[id]"), function (select) {
      kept[select.id] = select.value;
    });
    return kept;
  }

  function restoreChoices(region, kept) {
    Object.keys(kept).forEach(function (id) {
      var select = document.getElementById(id);
      if (select && region.contains(select) && kept[id]) {
        var option = select.querySelector('option[value="' + kept[id].replace(/"/g, "") + '"]');
        if (option) { select.value = kept[id]; }
      }
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("form[data-live-search]"), function (form) {
    var regionId = form.getAttribute("data-live-search");
    var input = form.querySelector("input[type=search]");
    var status = document.getElementById("search-status");
    if (!input || !document.getElementById(regionId)) { return; }
    var timer = null;
    var latest = 0;

    function refresh() {
      var query = new URLSearchParams(new FormData(form)).toString();
      var url = (form.getAttribute("action") || window.location.pathname) + "?" + query;
      var ticket = ++latest;
      fetch(url, { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          if (html === null || ticket !== latest) { return; }
          var fetched = new DOMParser().parseFromString(html, "text/html");
          var fresh = fetched.getElementById(regionId);
          var region = document.getElementById(regionId);
          if (!fresh || !region) { return; }
          var kept = keepChoices(region);
          region.innerHTML = fresh.innerHTML;
          restoreChoices(region, kept);
          var said = fetched.getElementById("search-status");
          if (status && said) { status.textContent = said.textContent; }
          window.history.replaceState(null, "", url);
        })
        .catch(function () { /* the button still searches */ });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, WAIT_MS);
    });
  });
})();
