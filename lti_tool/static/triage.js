// Triage: a reply sent from a card stays on the page. The form posts as it would without
// this script (same fields, same CSRF token), asking for JSON; the card then shows "Answered"
// with a link to the conversation, the live region says so, and focus moves to the next card
// still waiting, so a tutor works down the list without leaving it. The answer also carries the
// page's figures as they now stand (what waits in triage, unread conversations in the course's
// navigation), written by the server in the page's language; they replace the page's own.
(function () {
  "use strict";
  var status = document.getElementById("triage-status");
  // The page's words, in its language (templates/checkins/triage.html), with %(name)s filled.
  var words = JSON.parse((status && status.getAttribute("data-words")) || "{}");
  function say(key, values) {
    return (words[key] || key).replace(/%\((\w+)\)s/g, function (all, name) {
      return values && name in values ? values[name] : all;
    });
  }

  function announce(text, isError) {
    if (!status) { return; }
    var p = document.createElement("p");
    p.className = isError ? "error-summary" : "notice";
    p.textContent = text;
    status.replaceChildren(p);
  }

  function nextCard(card) {
    var next = card.nextElementSibling;
    while (next && !(next.matches(".triage-row") && !next.matches(".dealt"))) {
      next = next.nextElementSibling;
    }
    return next || card.nextElementSibling;
  }

  function markAnswered(card, threadUrl) {
    var name = card.getAttribute("data-name") || "";
    card.classList.add("dealt");
    var state = card.querySelector(".triage-state");
    if (state) {
      var tag = document.createElement("span");
      tag.className = "tag pin";
      tag.textContent = say("answered");
      state.replaceChildren(tag);
    }
    var actions = card.querySelector(".triage-actions");
    if (actions) {
      var p = document.createElement("p");
      p.className = "small";
      var link = document.createElement("a");
      link.href = threadUrl;
      link.textContent = say("open", { name: name });
      p.appendChild(link);
      actions.replaceWith(p);
    }
  }

  // Each place marked data-counts="…" takes the server's words for it (templates/checkins/
  // _triage_counts.html, templates/course/_unread.html), plural forms and all.
  function showCounts(shown) {
    Object.keys(shown || {}).forEach(function (key) {
      var places = document.querySelectorAll('[data-counts="' + key + '"]');
      Array.prototype.forEach.call(places, function (place) { place.innerHTML = shown[key]; });
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form.triage-answer") || !window.fetch) { return; }
    event.preventDefault();
    var card = form.closest(".triage-row");
    var button = form.querySelector("button[type=submit]");
    if (button) { button.disabled = true; }
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { "Accept": "application/json" },
      credentials: "same-origin"
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (!response.ok) {
          throw new Error(body.message || say("failed"));
        }
        return body;
      });
    }).then(function (body) {
      var name = card.getAttribute("data-name") || say("someone");
      var next = nextCard(card);
      markAnswered(card, body.thread_url);
      showCounts(body.shown);
      announce(next ? say("sent_next", { name: name, next: next.getAttribute("data-name") || "" })
        : say("sent", { name: name }), false);
      (next || card).focus();
    }).catch(function (error) {
      if (button) { button.disabled = false; }
      announce(say("not_sent", { reason: error.message }), true);
    });
  });
})();
