// On a phone the course's tabs scroll sideways: bring the current one into view.
(function () {
  "use strict";
  var current = document.querySelector(".course-nav [aria-current=page]");
  var list = current && current.closest("ul");
  if (list && list.scrollWidth > list.clientWidth) {
    list.scrollLeft = current.offsetLeft - (list.clientWidth - current.offsetWidth) / 2;
  }
})();
