// cdsbot web chat: one browser = one chat (the server's HttpOnly cookie says which); plain DOM, for cheap phones.
(function () {
  "use strict";

  var UPLOAD_ERRORS = { not_image: "not_photo", too_large: "too_large", too_many: "too_many" }; // reason -> label
  var messages = document.getElementById("messages");
  var statusEl = document.getElementById("status");
  var form = document.getElementById("composer");
  var input = document.getElementById("input");
  var photoInput = document.getElementById("photo");
  var LABELS = JSON.parse(document.body.dataset.labels);
  var lang = document.documentElement.lang;
  var ws = null;
  var ready = false;
  var pending = []; // frames typed while offline, sent once the socket says ready
  var backoff = 1000;

  // crypto.randomUUID exists only on https/localhost; a phone on the LAN over http needs the fallback.
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function label(key) {
    return LABELS[lang][key];
  }

  function setStatus(online) {
    ready = online;
    statusEl.textContent = label(online ? "online" : "connecting");
    statusEl.className = "status " + (online ? "online" : "connecting");
  }

  // The server names the chat's language once it knows it (the member's choice); the frame follows.
  function setLang(code) {
    if (!code || code === lang || !LABELS[code]) return;
    lang = code;
    document.documentElement.lang = code;
    document.title = "cdsbot · " + label("team");
    document.getElementById("team").textContent = label("team");
    var photoBtn = document.getElementById("photo-btn");
    photoBtn.title = label("photo");
    photoBtn.setAttribute("aria-label", "📷 " + label("photo"));
    input.placeholder = label("placeholder");
    input.setAttribute("aria-label", label("placeholder"));
    document.getElementById("send").textContent = label("send");
    setStatus(ready);
  }

  function clock() {
    var d = new Date();
    return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2);
  }

  function scrollDown() {
    messages.scrollTop = messages.scrollHeight;
  }

  // Text goes in as a text node (never HTML); CSS pre-wrap keeps the line breaks.
  function addMessage(side, text, photoUrl) {
    var wrap = document.createElement("div");
    wrap.className = "msg " + side;
    var bubble = document.createElement("div");
    bubble.className = "bubble " + side;
    if (photoUrl) {
      var img = document.createElement("img");
      img.alt = "";
      img.src = photoUrl;
      img.addEventListener("load", scrollDown);
      bubble.appendChild(img);
    }
    if (text) bubble.appendChild(document.createTextNode(text));
    var time = document.createElement("span");
    time.className = "time";
    time.textContent = clock();
    bubble.appendChild(time);
    wrap.appendChild(bubble);
    messages.appendChild(wrap);
    scrollDown();
    return wrap;
  }

  function addNote(text) {
    var note = document.createElement("div");
    note.className = "note";
    note.textContent = text;
    messages.appendChild(note);
    scrollDown();
  }

  function addButtons(wrap, rows) {
    var box = document.createElement("div");
    box.className = "buttons";
    rows.forEach(function (row) {
      var line = document.createElement("div");
      line.className = "row";
      row.forEach(function (b) {
        var btn = document.createElement("button");
        btn.type = "button";
        btn.textContent = b.label;
        btn.dataset.payload = b.payload;
        btn.addEventListener("click", function () { tapButton(btn, b); });
        line.appendChild(btn);
      });
      box.appendChild(line);
    });
    wrap.appendChild(box);
    scrollDown();
  }

  function tapButton(btn, b) {
    btn.classList.add("chosen");
    addMessage("me", b.label);
    send({ type: "button", payload: b.payload, id: uuid() });
  }

  function send(frame) {
    if (ready && ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(frame));
    else pending.push(frame);
  }

  function onFrame(event) {
    var frame;
    try { frame = JSON.parse(event.data); } catch (e) { return; }
    if (frame.lang) setLang(frame.lang);
    if (frame.type === "ready") {
      setStatus(true);
      backoff = 1000;
      var queued = pending;
      pending = [];
      queued.forEach(send);
    } else if (frame.type === "message") {
      var wrap = addMessage("bot", frame.text, frame.photo);
      if (frame.buttons && frame.buttons.length) addButtons(wrap, frame.buttons);
    } else if (frame.type === "error") {
      if (window.console) console.warn("cdsbot:", frame.error);
    }
  }

  // Reconnect with doubling backoff (1 s … 30 s) whenever the socket drops.
  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    ws = new WebSocket(scheme + location.host + "/chat/ws");
    // `fresh`: nothing is on screen yet, so the server may greet (a reconnect mid-chat is not fresh).
    ws.onopen = function () {
      ws.send(JSON.stringify({ type: "hello", lang: lang, fresh: !messages.hasChildNodes() }));
    };
    ws.onmessage = onFrame;
    ws.onclose = function () {
      setStatus(false);
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 30000);
    };
  }

  function sendText() {
    var text = input.value;
    if (!text.trim()) return;
    input.value = "";
    resize();
    addMessage("me", text);
    send({ type: "text", text: text, id: uuid() });
  }

  // Upload first, then tell the bot the ref; the caption is whatever is typed in the box.
  function sendPhoto(file) {
    var caption = input.value.trim();
    input.value = "";
    resize();
    var wrap = addMessage("me", caption, URL.createObjectURL(file));
    var body = new FormData();
    body.append("photo", file);
    fetch("/chat/upload", { method: "POST", body: body })
      .then(function (r) { return r.json().then(function (j) { if (!r.ok) throw new Error(j.reason); return j; }); })
      .then(function (j) {
        var frame = { type: "photo", ref: j.ref, id: uuid() };
        if (caption) frame.text = caption;
        send(frame);
      })
      .catch(function (err) {
        wrap.firstChild.classList.add("failed");
        addNote(label(UPLOAD_ERRORS[err.message] || "photo_error"));
      });
  }

  function resize() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight + 2, 120) + "px";
  }

  form.addEventListener("submit", function (e) { e.preventDefault(); sendText(); input.focus(); });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); sendText(); }
  });
  input.addEventListener("input", resize);
  document.getElementById("photo-btn").addEventListener("click", function () { photoInput.click(); });
  photoInput.addEventListener("change", function () {
    if (photoInput.files.length) sendPhoto(photoInput.files[0]);
    photoInput.value = "";
  });

  setStatus(false);
  connect();
})();
