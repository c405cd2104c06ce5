// Where focus goes when a page is the answer to an action (WCAG 2.2 SC 4.1.3, SC 2.4.3).
// Refused: to what to fix, the form's error summary (or, without one, its first field with an
// error), which screen readers then read. Done: the page says what happened in words marked
// data-said, inside a role="status" region (views/outcomes.py); focus moves to what the action
// made or changed, named by the address's fragment (the new reply, the button just pressed),
// and the region's words are put back once the page is there, so that screen readers announce
// them (a live region speaks its changes, not what a page loaded with). With no such element,
// focus moves to the words themselves, which are then read. Never left on <body>.
(function () {
  "use strict";
  var focusable = "a[href], button, input, select, textarea, summary, [tabindex]";

  function focusOn(element) {
    if (!element.matches(focusable)) { element.setAttribute("tabindex", "-1"); }
    element.focus();
    return document.activeElement === element;
  }

  var problem = document.getElementById("form-errors") ||
    document.querySelector("[aria-invalid=true]");
  if (problem) {
    focusOn(problem);
    return;
  }
  var said = document.querySelector("[data-said]");
  if (!said) { return; }
  var id = decodeURIComponent(window.location.hash.slice(1));
  var target = id ? document.getElementById(id) : null;
  if (target && !said.contains(target) && focusOn(target)) {
    var region = said.closest("[role=status], [aria-live]");
    if (region) {
      var words = Array.prototype.slice.call(region.childNodes);
      // Kept at its height while empty: the page below does not jump up and back (a tap or
      // click in those 100 ms would land on whatever moved under it).
      region.style.minHeight = region.offsetHeight + "px";
      region.replaceChildren();
      window.setTimeout(function () {
        region.replaceChildren.apply(region, words);
        region.style.minHeight = "";
      }, 100);
    }
  } else {
    focusOn(said);
  }
  // Said once: a reload, or a return to this page, does not say it again.
  var url = new URL(window.location.href);
  if (url.searchParams.has("done")) {
    url.searchParams.delete("done");
    window.history.replaceState(window.history.state, "", url.toString());
  }
})();
