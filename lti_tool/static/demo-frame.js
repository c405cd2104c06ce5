// The demo LMS sizes Rapport's frame as Canvas does: to the height the tool asks for with an
// `lti.frameResize` message, from the frame's own window and the tool's origin only, and
// within bounds, so a page cannot make the LMS page absurdly tall or collapse its frame.
(function () {
  "use strict";
  var frame = document.getElementById("tool-frame");
  if (!frame) {
    return;
  }
  var origin = frame.getAttribute("data-tool-origin");
  var lowest = Number(frame.getAttribute("data-min-height"));
  var highest = Number(frame.getAttribute("data-max-height"));

  window.addEventListener("message", function (event) {
    if (event.source !== frame.contentWindow || event.origin !== origin) {
      return;
    }
    var data = event.data;
    if (typeof data === "string") {
      // Canvas also takes the message as a JSON string; tools send both.
      try {
        data = JSON.parse(data);
      } catch (error) {
        return;
      }
    }
    if (!data || data.subject !== "lti.frameResize") {
      return;
    }
    var height = Number(data.height);
    if (!isFinite(height) || height <= 0) {
      return;
    }
    height = Math.min(Math.max(Math.ceil(height), lowest), highest);
    frame.style.height = height + "px";
    frame.setAttribute("data-sized", "tool");
  });
})();
