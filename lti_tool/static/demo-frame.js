// The demo LMS sizes Rapport's frame as Canvas does: to the height the tool asks for with an
// `lti.frameResize` message, from the frame's own window and the tool's origin only, and
// within bounds, so a page cannot make the LMS page absurdly tall or collapse its frame.
//
// It also keeps what the tool asks it to keep (LTI platform storage: `lti.put_data` and
// `lti.get_data`), for this page's life, by the tool's origin and key: the login state of a
// browser that keeps no cookie in the frame.
(function () {
  "use strict";
  var frame = document.getElementById("tool-frame");
  var kept = {};

  function keep(event, data) {
    var answer = {subject: data.subject + ".response", message_id: data.message_id, key: data.key};
    if (typeof data.key !== "string" || !data.key) {
      answer.error = {code: "bad_request", message: "A key is needed."};
    } else if (data.subject === "lti.put_data") {
      kept[event.origin + " " + data.key] = String(data.value);
      answer.value = data.value;
    } else if (Object.prototype.hasOwnProperty.call(kept, event.origin + " " + data.key)) {
      answer.value = kept[event.origin + " " + data.key];
    } else {
      answer.error = {code: "key_not_found", message: "Nothing is kept under this key."};
    }
    event.source.postMessage(answer, event.origin);
  }
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
    if (data && (data.subject === "lti.put_data" || data.subject === "lti.get_data")) {
      keep(event, data);
      return;
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
