/* 秒回复: ask the portal for matching questions on every keystroke; plain forms keep working without it. */
(function () {
  "use strict";
  if (window.portalFaqBox) { return; }
  window.portalFaqBox = true;

  function setup(box) {
    var form = box.querySelector("form");
    var input = box.querySelector("input[name=q]");
    var results = box.querySelector("[data-faq-results]");
    var url = box.getAttribute("data-answers-url");
    var controller = null;
    var latest = 0;

    function ask() {
      var q = input.value.trim();
      if (controller) { controller.abort(); }
      latest += 1;
      var ticket = latest;
      if (!q) { results.innerHTML = ""; return; }
      controller = new AbortController();
      results.setAttribute("aria-busy", "true");
      fetch(url + "?q=" + encodeURIComponent(q), {
        headers: { "X-Requested-With": "fetch" },
        credentials: "same-origin",
        signal: controller.signal
      }).then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.text();
      }).then(function (html) {
        if (ticket === latest) {
          results.innerHTML = html;
          results.setAttribute("aria-busy", "false");
        }
      }).catch(function () { /* superseded by a newer keystroke, or offline: the form still works */ });
    }

    input.addEventListener("input", ask);
    form.addEventListener("submit", function (event) { event.preventDefault(); ask(); });
  }

  // "Was this helpful": answered in place; on any failure the form is sent the ordinary way.
  document.addEventListener("submit", function (event) {
    var form = event.target.closest ? event.target.closest("form[data-faq-feedback]") : null;
    if (!form) { return; }
    event.preventDefault();
    var submitter = event.submitter;
    var data = new FormData(form);
    if (submitter && submitter.name) { data.append(submitter.name, submitter.value); }
    fetch(form.action, {
      method: "POST",
      body: data,
      headers: { "X-Requested-With": "fetch" },
      credentials: "same-origin"
    }).then(function (response) {
      if (!response.ok) { throw new Error(response.status); }
      return response.text();
    }).then(function (html) {
      form.outerHTML = html;
    }).catch(function () {
      form.removeAttribute("data-faq-feedback");
      if (form.requestSubmit && submitter) { form.requestSubmit(submitter); } else { form.submit(); }
    });
  });

  function start() {
    var boxes = document.querySelectorAll("[data-faq-box]");
    for (var i = 0; i < boxes.length; i += 1) { setup(boxes[i]); }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
