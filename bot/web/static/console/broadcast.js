// Broadcast pages: the composer's phone preview and length counters, and the progress page's live table
// (Server-Sent Events from /admin/broadcasts/{id}/events). No inline scripts: the console's CSP forbids them.
(function () {
  "use strict";

  function composer(form) {
    var vi = form.querySelector("#text_vi"), en = form.querySelector("#text_en");
    var upload = form.querySelector("#upload"), photo = document.getElementById("preview-photo");
    function update() {
      var shown = document.getElementById("preview-vi");
      shown.textContent = vi.value || shown.dataset.empty;
      document.getElementById("preview-en").textContent = en.value;
      document.getElementById("preview-en-bubble").hidden = !en.value;
      document.getElementById("preview-guide").hidden = !form.querySelector("#guide").value;
      form.ownerDocument.querySelectorAll(".preview-ack").forEach(function (chip) {
        chip.hidden = !form.querySelector("#ack").checked;
      });
      var longest = Math.max(vi.value.length, en.value.length), withPhoto = !photo.hidden;
      document.querySelectorAll("#limits li").forEach(function (item) {
        var limit = parseInt(withPhoto ? item.dataset.caption : item.dataset.limit, 10);
        item.querySelector(".used").textContent = longest;
        item.querySelector(".max").textContent = limit;
        item.classList.toggle("over", longest > limit);
      });
    }
    upload.addEventListener("change", function () {
      var file = upload.files[0];
      if (!file) { photo.hidden = true; update(); return; }
      var reader = new FileReader();
      reader.onload = function () { photo.src = reader.result; photo.hidden = false; update(); };
      reader.readAsDataURL(file);
    });
    form.addEventListener("input", update);
    form.addEventListener("change", update);
    update();
  }

  function cell(row, column) {
    return row.querySelector('[data-col="' + column + '"]');
  }

  function fill(box, data) {
    var table = box.querySelector("#progress-table"), names = JSON.parse(box.querySelector("#state").dataset.names);
    Object.keys(data.channels).forEach(function (code) {
      var row = table.querySelector('tbody tr[data-channel="' + code + '"]');
      if (!row) {  // a channel that got rows after the page loaded (a rerouted copy): copy the totals row's shape
        row = table.querySelector("tfoot tr").cloneNode(true);
        row.dataset.channel = code;
        row.firstElementChild.textContent = code;
        table.tBodies[0].appendChild(row);
      }
      Object.keys(data.channels[code]).forEach(function (column) {
        var target = cell(row, column);
        if (target) { target.textContent = data.channels[code][column]; }
      });
    });
    var totals = table.querySelector("tfoot tr");
    Object.keys(data.totals).forEach(function (column) {
      var target = cell(totals, column);
      if (target) { target.textContent = data.totals[column]; }
    });
    box.querySelector("#percent").textContent = data.percent;
    box.querySelector("#bar").value = data.percent;
    box.querySelector("#state").textContent = names[data.state] || data.state;
    box.querySelector("#received").textContent = data.received;
    box.querySelector("#need-help").textContent = data.need_help;
    box.querySelectorAll("form[data-when]").forEach(function (form) {  // only the buttons that apply now
      form.hidden = form.dataset.when.split(" ").indexOf(data.state) < 0;
    });
  }

  function progress(box) {
    var source = new EventSource(box.dataset.events);
    source.addEventListener("progress", function (event) {
      var data = JSON.parse(event.data);
      fill(box, data);
      if (data.state === "done" || data.state === "cancelled") { source.close(); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("compose"), box = document.getElementById("progress");
    if (form) { composer(form); }
    if (box && box.dataset.events) { progress(box); }
  });
})();
