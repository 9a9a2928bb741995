// Behaviour the pages need without inline script (the Content-Security-Policy allows none):
// a <select data-autosubmit> submits its form when it changes (the language menu);
// a <select data-reload-with="name"> reloads the page with ?name=<value> (the referral's
// direction, which decides the destinations the page offers).
document.addEventListener("change", function (event) {
  var target = event.target;
  if (!(target instanceof HTMLSelectElement)) {
    return;
  }
  if (target.hasAttribute("data-autosubmit") && target.form) {
    target.form.submit();
  } else if (target.hasAttribute("data-reload-with")) {
    var url = new URL(window.location.href);
    url.searchParams.set(target.getAttribute("data-reload-with"), target.value);
    window.location.assign(url.toString());
  }
});

// A <form data-reset-after-request> empties itself once htmx has sent it (the specimen scanner:
// the next barcode goes into an empty field). htmx's hx-on needs eval, which the policy forbids.
document.addEventListener("htmx:afterRequest", function (event) {
  var form = event.target;
  if (form instanceof HTMLFormElement && form.hasAttribute("data-reset-after-request")) {
    form.reset();
  }
});
