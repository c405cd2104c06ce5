// Moves focus to a form's error summary so screen readers announce what to fix.
(function () {
  "use strict";
  var summary = document.getElementById("form-errors");
  if (summary) { summary.focus(); }
})();
