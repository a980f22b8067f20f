// The remap's progress: its steps arrive as Server-Sent Events; when it ends the page shows the outcome.
document.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("remap-progress");
  if (!box || !box.dataset.events) { return; }
  var source = new EventSource(box.dataset.events);
  source.addEventListener("progress", function (event) {
    var data = JSON.parse(event.data);
    var step = document.getElementById("remap-step"), bar = document.getElementById("remap-bar");
    if (step && data.step) { step.textContent = data.step; }
    if (bar) { bar.max = data.total; bar.value = data.done; }
    if (data.finished) { source.close(); window.location.reload(); }
  });
});
