// The roll-up table: a click anywhere on a unit's row opens that unit (the name's link does the same for keyboards).
document.addEventListener("click", function (event) {
  var row = event.target.closest("#rollup tr[data-href]");
  if (row && !event.target.closest("a") && !window.getSelection().toString()) {
    window.location.href = row.dataset.href;
  }
});
