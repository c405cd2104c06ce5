// Inside an LMS iframe, ask the LMS to fit its frame to this page, on load and whenever the
// page's height changes: Canvas's `lti.frameResize` message (its window.postMessage API),
// which the demo LMS also answers. The page then scrolls with the LMS's own page instead of
// in a second scrollbar inside the frame. An LMS that does not listen ignores it.
(function () {
  "use strict";
  if (window.parent === window || typeof ResizeObserver === "undefined") {
    return;
  }
  var root = document.documentElement;
  var asked = 0;

  function ask() {
    var height = Math.ceil(root.getBoundingClientRect().height);
    if (height > 0 && height !== asked) {
      asked = height;
      // Only a height, nothing about the person or the page: any embedding LMS may hear it.
      window.parent.postMessage({ subject: "lti.frameResize", height: height }, "*");
    }
  }

  new ResizeObserver(ask).observe(root);
  ask();
})();
