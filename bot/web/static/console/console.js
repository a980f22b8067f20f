// The console's only script of its own: forms marked data-autosubmit (the sign-in link's page) submit once.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
    if (!form.dataset.sent) {
      form.dataset.sent = "1";
      form.submit();
    }
  });
});
