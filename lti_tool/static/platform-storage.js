/* LTI platform storage (lti.put_data / lti.get_data) for Rapport's login and launch pages.
   Reads its settings from <script type="application/json" id="lti-storage">. Messages go only to
   the origin of the platform's authorisation endpoint, and only its answers are read. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("lti-storage").textContent);

  function targetFrame() {
    if (config.target === "_parent" || !config.target) { return window.parent; }
    try {
      return window.parent.frames[config.target] || window.parent;
    } catch (error) {
      return window.parent;
    }
  }

  function ask(message, done, timeoutMs) {
    var id = "rapport-" + Math.random().toString(36).slice(2) + Date.now().toString(36);
    var finished = false;
    message.message_id = id;
    function finish(answer) {
      if (finished) { return; }
      finished = true;
      window.removeEventListener("message", listen);
      done(answer);
    }
    function listen(event) {
      var data = event.data;
      if (event.origin !== config.origin || !data || data.message_id !== id) { return; }
      if (data.subject !== message.subject + ".response") { return; }
      finish(data.error ? null : data);
    }
    window.addEventListener("message", listen);
    if (window.parent === window) { finish(null); return; }
    targetFrame().postMessage(message, config.origin);
    window.setTimeout(function () { finish(null); }, timeoutMs);
  }

  // How long the platform may take to answer: a busy LMS page (or a phone) can take seconds to
  // run its handler, and without the stored secret the launch must open in a new window.
  var PUT_WAIT_MS = 5000, GET_WAIT_MS = 8000;
  if (config.mode === "put") {
    ask({subject: "lti.put_data", key: config.key, value: config.value}, function () {
      window.location.replace(config.next);
    }, PUT_WAIT_MS);
  } else {
    ask({subject: "lti.get_data", key: config.key}, function (answer) {
      var form = document.getElementById("storage-launch");
      if (answer && answer.value) {
        form.elements.lti_storage_proof.value = answer.value;
        form.submit();
      } else {
        form.elements.lti_storage_proof.value = "";
        form.submit();  /* Rapport answers with the "open in a new window" page */
      }
    }, GET_WAIT_MS);
  }
}());
