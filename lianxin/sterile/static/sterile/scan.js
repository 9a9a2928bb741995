// The scanning page: after each scan (a keyboard-wedge scanner types the code and Enter) the
// barcode field is emptied and focused again, so the next pack can be scanned at once.
document.addEventListener("htmx:afterRequest", function (event) {
  var form = event.target.closest("form[data-scan]");
  if (!form) return;
  var field = form.querySelector("input[name=barcode]");
  if (field) {
    field.value = "";
    field.focus();
  }
});
