// The course navigation's "More" menu on a phone: a <details> disclosure, which already opens
// and closes with Enter and Space; Escape closes it and returns focus to "More", and so does a
// click or a focus move outside it, so it never stays open over the page.
(function () {
  "use strict";
  var menu = document.querySelector(".course-nav .more-menu");
  if (!menu) {
    return;
  }
  var summary = menu.querySelector("summary");

  function close(returnFocus) {
    if (menu.open) {
      menu.open = false;
      if (returnFocus) {
        summary.focus();
      }
    }
  }

  menu.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      close(true);
    }
  });
  document.addEventListener("click", function (event) {
    if (!menu.contains(event.target)) {
      close(false);
    }
  });
  menu.addEventListener("focusout", function (event) {
    if (event.relatedTarget && !menu.contains(event.relatedTarget)) {
      close(false);
    }
  });
})();
