// The steward's scan page. Scans go to the server when it answers; when the network is down
// the page answers from the roster it downloaded, keeps the scans in localStorage (they
// survive a reload) and uploads them, in order, when the network returns. The server has
// the last word: it stores every uploaded scan once (device + nonce) and flags those it
// would have refused. A scan the server will not take as it is (a 4xx), or keeps failing on
// while it answers everything else, is set aside where the steward sees it, and the scans
// behind it go on: one bad scan never holds up the door.
(function () {
  "use strict";
  var app = document.getElementById("door-app");
  if (!app) return;

  var conferenceId = Number(app.getAttribute("data-conference"));
  var scanUrl = app.getAttribute("data-scan-url");
  var rosterUrl = app.getAttribute("data-roster-url");
  var presenceUrl = app.getAttribute("data-presence-url");
  var csrf = app.getAttribute("data-csrf");
  var CODE = /^[A-Z2-7]{16}$/;
  var WORDS = {
    admitted: "ADMITTED", left: "LEFT", already_inside: "ALREADY INSIDE",
    not_inside: "NOT INSIDE", revoked: "REVOKED", not_approved: "NOT APPROVED",
    unknown: "UNKNOWN", other_conference: "OTHER CONFERENCE"
  };
  var PASSES = { delegate: "Delegate", alternate: "Alternate", visitor: "Visitor",
    observer: "Observer", press: "Press", staff: "Staff" };
  var REQUEST_TIMEOUT_MS = 4000; // after this a scan is answered from the roster
  var PROBE_MS = 3000; // while offline, ask this often whether the server answers again
  var MAX_FAILURES = 3; // a scan the server failed on this often, answering others, is suspect

  var $ = function (id) { return document.getElementById(id); };
  var codeInput = $("scan-code");
  var doorChoice = $("door-choice");
  var result = $("result");
  var key = function (name) { return "confapp." + name + "." + conferenceId; };

  // ---- stored state: device id, settings, roster, queue --------------------------------

  function load(name, fallback) {
    try { var v = localStorage.getItem(key(name)); return v === null ? fallback : JSON.parse(v); }
    catch (e) { return fallback; }
  }
  function save(name, value) { localStorage.setItem(key(name), JSON.stringify(value)); }

  var device = load("device", null);
  if (!device) {
    device = "web-" + Math.random().toString(36).slice(2, 10) + Date.now().toString(36);
    save("device", device);
  }
  // Time and randomness, not a counter: two tabs of one browser share the device id and
  // must never send the same nonce for two different scans.
  function nextNonce() {
    return device + "-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 8);
  }

  // Each waiting scan is a localStorage entry of its own, named by its nonce: two tabs of one
  // browser share them, and as no tab rewrites a list, neither can write over a scan the
  // other queued. If both upload the same scan, its nonce makes the server count it once.
  var SCAN_PREFIX = key("scan") + ".";
  var unsaved = {}; // scans the browser's storage refused (full): kept by this tab alone

  function byTime(a, b) {
    if (a.scanned_at !== b.scanned_at) return a.scanned_at < b.scanned_at ? -1 : 1;
    return a.nonce < b.nonce ? -1 : a.nonce > b.nonce ? 1 : 0;
  }
  function waiting() {
    var found = {};
    for (var i = 0; i < localStorage.length; i++) {
      var name = localStorage.key(i);
      if (!name || name.indexOf(SCAN_PREFIX) !== 0) continue;
      try { var scan = JSON.parse(localStorage.getItem(name)); } catch (e) { continue; }
      if (scan && scan.nonce) found[scan.nonce] = scan;
    }
    Object.keys(unsaved).forEach(function (nonce) { found[nonce] = unsaved[nonce]; });
    return Object.keys(found).map(function (nonce) { return found[nonce]; }).sort(byTime);
  }
  function enqueue(scan) {
    var name = SCAN_PREFIX + scan.nonce, text = JSON.stringify(scan);
    try { localStorage.setItem(name, text); return; } catch (e) { /* full: make room */ }
    // The roster's saved copy can be downloaded again (this tab keeps it in memory); a scan
    // cannot be made again.
    try { localStorage.removeItem(key("roster")); localStorage.setItem(name, text); }
    catch (e) { unsaved[scan.nonce] = scan; }
  }
  function uploaded(nonce) {
    localStorage.removeItem(SCAN_PREFIX + nonce);
    delete unsaved[nonce];
  }

  // Scans set aside: each an entry of its own too, with why the server would not take it.
  var ASIDE_PREFIX = key("aside") + ".";
  var asideUnsaved = {};
  // nonce -> { count, status }: times the server failed on a scan (5xx, or no answer) and then
  // answered the page's next question, so the fault may be the scan's rather than the server's.
  var failures = {};
  var lastFailed = null; // the scan whose upload failed last, until the server is asked again

  function setAside(scan, reason) {
    var entry = { scan: scan, reason: reason, at: new Date().toISOString() };
    try { localStorage.setItem(ASIDE_PREFIX + scan.nonce, JSON.stringify(entry)); }
    catch (e) { asideUnsaved[scan.nonce] = entry; }
    uploaded(scan.nonce); // out of the queue: the scans behind it go on
    delete failures[scan.nonce];
    showAside();
  }
  function setAsideList() {
    var found = {};
    for (var i = 0; i < localStorage.length; i++) {
      var name = localStorage.key(i);
      if (!name || name.indexOf(ASIDE_PREFIX) !== 0) continue;
      try { var entry = JSON.parse(localStorage.getItem(name)); } catch (e) { continue; }
      if (entry && entry.scan && entry.scan.nonce) found[entry.scan.nonce] = entry;
    }
    Object.keys(asideUnsaved).forEach(function (nonce) { found[nonce] = asideUnsaved[nonce]; });
    return Object.keys(found).map(function (nonce) { return found[nonce]; })
      .sort(function (a, b) { return byTime(a.scan, b.scan); });
  }
  function forgetAside(nonce) {
    localStorage.removeItem(ASIDE_PREFIX + nonce);
    delete asideUnsaved[nonce];
    showAside();
  }
  // A queue saved by an earlier version of this page, as one list: each scan to its own entry.
  (function adoptOldQueue() {
    var old = load("queue", null);
    if (!Array.isArray(old)) return;
    old.forEach(enqueue);
    localStorage.removeItem(key("queue"));
  })();
  var roster = load("roster", null);
  var index = null; // codes -> person, revoked codes, people by id
  var online = navigator.onLine;
  var flushing = false;

  function buildIndex() {
    index = { byCode: {}, revoked: {}, byId: {}, inside: {} };
    if (!roster) return;
    roster.people.forEach(function (p) {
      index.byId[p.id] = p;
      if (p.code) index.byCode[p.code] = p;
    });
    roster.revoked.forEach(function (r) { index.revoked[r.code] = r; });
    Object.keys(roster.inside).forEach(function (id) { index.inside[id] = roster.inside[id]; });
  }
  buildIndex();

  // ---- settings: door, direction, sound, vibration --------------------------------------

  var settings = load("settings", {});
  if (settings.door && Array.prototype.some.call(doorChoice.options, function (o) { return o.value === settings.door; })) {
    doorChoice.value = settings.door;
  }
  if (settings.direction) {
    var radio = document.querySelector("input[name=direction][value=" + settings.direction + "]");
    if (radio) radio.checked = true;
  }
  $("opt-sound").checked = !!settings.sound;
  $("opt-vibrate").checked = !!settings.vibrate;
  function direction() { return document.querySelector("input[name=direction]:checked").value; }
  function keepSettings() {
    save("settings", { door: doorChoice.value, direction: direction(),
      sound: $("opt-sound").checked, vibrate: $("opt-vibrate").checked });
  }
  ["door-choice", "opt-sound", "opt-vibrate"].forEach(function (id) { $(id).addEventListener("change", keepSettings); });
  document.querySelectorAll("input[name=direction]").forEach(function (r) {
    r.addEventListener("change", function () { keepSettings(); focusScan(); });
  });

  // ---- the network indicator ---------------------------------------------------------------

  function showNet() {
    var status = $("net-status");
    status.setAttribute("data-state", online ? "online" : "offline");
    $("net-word").textContent = online ? "Online" : "OFFLINE: answering from the roster";
    $("queue-count").textContent = String(waiting().length);
    if (Object.keys(unsaved).length) {
      $("net-word").textContent += " · storage full: keep this page open until uploaded";
    }
    $("roster-age").textContent = roster ? "of " + new Date(roster.generated_at).toLocaleTimeString() : "not loaded";
  }
  function setOnline(value) {
    var back = value && !online;
    online = value;
    showNet();
    if (!online) { probeSoon(); return; }
    flush();
    if (back) refreshRoster();
  }
  window.addEventListener("online", function () { setOnline(true); });
  window.addEventListener("offline", function () { setOnline(false); });
  // Another tab queued, uploaded or set aside a scan: show it, and upload if online.
  window.addEventListener("storage", function (event) {
    if (event.key === null || event.key.indexOf(ASIDE_PREFIX) === 0) showAside();
    if (event.key !== null && event.key.indexOf(SCAN_PREFIX) !== 0) return;
    showNet();
    if (online) flush();
  });

  function request(method, url, body) {
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, REQUEST_TIMEOUT_MS);
    var options = { method: method, credentials: "same-origin", signal: controller.signal,
      headers: { Accept: "application/json" } };
    if (body) {
      options.headers["Content-Type"] = "application/json";
      options.headers["X-CSRFToken"] = csrf;
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).finally(function () { clearTimeout(timer); });
  }

  // ---- scanning ------------------------------------------------------------------------

  function normalise(text) { return (text || "").replace(/[\s-]/g, "").toUpperCase(); }

  function newScan(fields) {
    var scan = { direction: direction(), door: doorChoice.value || undefined, nonce: nextNonce(),
      scanned_at: new Date().toISOString(), conference: conferenceId, device: device };
    Object.keys(fields).forEach(function (k) { scan[k] = fields[k]; });
    return scan;
  }

  // What the server's reply means for the scan it answers.
  function judge(status, answer) {
    if (answer.word) return "done"; // stored, or a retry answered as the first time (422 too)
    // No answer, a fault, or an answer not from confapp (a proxy's page, a captive portal).
    if (!answer.error || status >= 500 || status === 429 || status < 400) return "retry";
    // Logged out, or this page's CSRF token expired: every scan would fail alike; keep them.
    if (status === 401 || status === 403 || (status === 400 && !answer.field)) return "session";
    return "aside"; // this scan alone is refused (a field named, 409, 413, 422): never taken
  }
  function refusal(status, answer) {
    return "Refused by the server (" + status + "): " + answer.error;
  }
  function readReply(response) {
    return response.json().catch(function () { return {}; }).then(function (answer) {
      return { status: response.status, answer: answer && typeof answer === "object" ? answer : {} };
    });
  }

  function submit(scan) {
    if (!online || waiting().length) { answerOffline(scan); return; }
    // Live, the server's clock says when the scan was made: a phone whose clock is wrong still
    // scans. (The queued copy keeps the phone's time, for an upload later.)
    var live = {};
    Object.keys(scan).forEach(function (k) { if (k !== "scanned_at") live[k] = scan[k]; });
    request("POST", scanUrl, live).then(readReply).then(function (reply) {
      var verdict = judge(reply.status, reply.answer);
      if (verdict === "done") { learn(reply.answer, scan); show(reply.answer, false); }
      else if (verdict === "retry") {
        lastFailed = { nonce: scan.nonce, status: reply.status };
        throw new Error("no answer");
      }
      else if (verdict === "session") { answerOffline(scan); }
      else { setAside(scan, refusal(reply.status, reply.answer)); showError(reply.answer.error); }
    }).catch(function () {
      if (!lastFailed || lastFailed.nonce !== scan.nonce) lastFailed = { nonce: scan.nonce, status: 0 };
      setOnline(false);
      answerOffline(scan);
    });
  }

  // What the server would say, from the roster; the scan waits in the queue to be uploaded.
  function answerOffline(scan) {
    scan.offline = true;
    enqueue(scan);
    var answer = localAnswer(scan);
    show(answer, true);
    showNet();
    if (online) flush();
  }

  function localAnswer(scan) {
    var person = scan.delegate_id ? index.byId[scan.delegate_id] : index.byCode[normalise(scan.code)];
    var revoked = scan.code && index.revoked[normalise(scan.code)];
    var reason = null, since = null, door = scan.door;
    if (revoked) { reason = "revoked"; person = revoked; }
    else if (!person) reason = "unknown";
    else if (!person.approved) reason = "not_approved";
    else if (scan.direction === "in" && index.inside[person.id]) {
      reason = "already_inside"; since = index.inside[person.id].since; door = index.inside[person.id].door;
    } else if (scan.direction === "out" && !index.inside[person.id]) reason = "not_inside";
    var answer = { status: reason ? "refused" : "ok", reason: reason,
      result: reason || (scan.direction === "in" ? "admitted" : "left"),
      person: person ? { id: person.id, name: person.name, group: person.group, pass_type: person.pass_type } : null,
      since: since, door: door };
    answer.word = WORDS[answer.result];
    if (!reason) learn(answer, scan);
    return answer;
  }

  // Keep the roster's idea of who is inside in step with what this door has seen.
  function learn(answer, scan) {
    if (!answer.person || answer.status !== "ok") return;
    if (scan.direction === "in") index.inside[answer.person.id] = { since: scan.scanned_at, door: scan.door };
    else delete index.inside[answer.person.id];
  }

  // Upload waiting scans oldest first, one at a time, so the server applies them in order.
  // A scan the server failed on MAX_FAILURES times is suspect: the first scan behind it that is
  // not is tried instead, and if the server takes that one, the suspects before it are the
  // trouble and are set aside. If every upload fails alike, nothing is set aside: they wait.
  function flush() {
    var queue = waiting();
    if (flushing || !queue.length || !online) return;
    var suspects = [];
    var scan = null;
    for (var i = 0; i < queue.length && !scan; i++) {
      var failure = failures[queue[i].nonce];
      if (failure && failure.count >= MAX_FAILURES) suspects.push(queue[i]);
      else scan = queue[i];
    }
    if (!scan) { scan = queue[0]; suspects = []; }
    flushing = true;
    request("POST", scanUrl, scan).then(readReply, function () {
      return { status: 0, answer: {} }; // no answer at all: the network, or a timeout
    }).then(function (reply) {
      var verdict = judge(reply.status, reply.answer);
      if (verdict === "retry") {
        flushing = false;
        lastFailed = { nonce: scan.nonce, status: reply.status };
        setOnline(false); // answer from the roster, and ask the server again in a moment
        return;
      }
      if (verdict === "session") {
        flushing = false;
        $("net-word").textContent = "Reload the page (log in again if asked) to upload the " +
          waiting().length + " waiting scans";
        return;
      }
      suspects.forEach(function (suspect) {
        var failure = failures[suspect.nonce];
        setAside(suspect, "The server failed on this scan " + failure.count + " times (" +
          (failure.status ? "HTTP " + failure.status : "no answer") + ") and answered the " +
          "scans after it. It may have been recorded: upload it again later, or check the person.");
      });
      if (verdict === "aside") setAside(scan, refusal(reply.status, reply.answer));
      else uploaded(scan.nonce);
      delete failures[scan.nonce];
      flushing = false;
      showNet();
      if (waiting().length) flush(); else { refreshCounters(); refreshRoster(); }
    }).catch(function () {
      flushing = false;
      setOnline(false);
    });
  }

  // The server answered again after an upload failed: the failure counts against that scan.
  function serverAnswered() {
    if (!lastFailed) return;
    var failure = failures[lastFailed.nonce] || { count: 0, status: 0 };
    failures[lastFailed.nonce] = { count: failure.count + 1, status: lastFailed.status };
    lastFailed = null;
  }

  // While offline, ask the server now and then whether it is back: one question at a time
  // (a timer or a request in flight), however often the page notices it is offline. The
  // 'online' event alone is not enough: the network can return, or the server recover,
  // without the browser ever having been offline.
  var probeTimer = null, probing = false;
  function probeSoon() {
    if (!probeTimer && !probing) probeTimer = setTimeout(probe, PROBE_MS);
  }
  function probe() {
    probeTimer = null;
    if (online || probing) return;
    if (navigator.onLine === false) { probeSoon(); return; } // no network: the 'online' event will say
    probing = true;
    request("GET", presenceUrl).then(function (response) {
      if (!response.ok) throw new Error("presence " + response.status);
      return response.json();
    }).then(function (counters) {
      probing = false;
      showCounters(counters);
      serverAnswered();
      setOnline(true);
    }).catch(function () {
      probing = false;
      lastFailed = null; // the server is down, or the network: nothing held against the scan
      probeSoon();
    });
  }

  // ---- the answer, full screen -----------------------------------------------------------

  var hideTimer = null;
  function show(answer, offline) {
    result.setAttribute("data-result", answer.result);
    $("result-word").textContent = answer.word;
    var p = answer.person;
    $("result-who").textContent = p ? p.name + " · " + p.group : "";
    var detail = p ? (PASSES[p.pass_type] || p.pass_type) : "";
    if (answer.reason === "already_inside") {
      detail += (detail ? " · " : "") + "inside since " + clock(answer.since) + (answer.door ? " (" + answer.door + ")" : "");
    }
    if (offline) detail += (detail ? " · " : "") + "offline: will upload";
    $("result-detail").textContent = detail;
    result.hidden = false;
    $("last-scan").textContent = answer.word + (p ? " · " + p.name : "") + " · " + new Date().toLocaleTimeString();
    signal(answer.status === "ok");
    clearTimeout(hideTimer);
    hideTimer = setTimeout(hideResult, answer.status === "ok" ? 2500 : 5000);
    refreshCountersSoon();
  }
  // The steward's list of scans set aside: who (as far as the roster knows), when, why.
  function printable(text) {
    return String(text).replace(/[\u0000-\u001f\u007f-\u009f\\]/g, function (c) {
      return c === "\\" ? "\\\\" : "\\x" + ("0" + c.charCodeAt(0).toString(16)).slice(-2);
    });
  }
  function shortCode(text) {
    var shown = printable(text);
    return shown.length > 40 ? shown.slice(0, 40) + "…" : shown;
  }
  function showAside() {
    var entries = setAsideList();
    var list = $("set-aside-list");
    list.textContent = "";
    entries.forEach(function (entry) {
      var scan = entry.scan;
      var person = scan.delegate_id ? index.byId[scan.delegate_id]
        : (index.byCode[normalise(scan.code)] || index.revoked[normalise(scan.code)]);
      var item = document.createElement("li");
      var who = document.createElement("strong");
      who.textContent = person ? person.name + " · " + person.group
        : scan.delegate_id ? "person no. " + scan.delegate_id : "code " + shortCode(scan.code);
      var when = document.createElement("span");
      when.textContent = " · " + (scan.direction === "out" ? "out" : "in") +
        (scan.door ? " · " + scan.door : "") + " · " + clock(scan.scanned_at || entry.at);
      var why = document.createElement("p");
      why.className = "aside-reason";
      why.textContent = entry.reason;
      var again = document.createElement("button");
      again.type = "button";
      again.className = "small secondary";
      again.textContent = "Upload again";
      again.addEventListener("click", function () {
        scan.offline = true;
        enqueue(scan); // the same nonce: if the server has it already, it counts once
        forgetAside(scan.nonce);
        showNet();
        if (online) flush(); else probeSoon();
      });
      var dismiss = document.createElement("button");
      dismiss.type = "button";
      dismiss.className = "small secondary outline";
      dismiss.textContent = "Dismiss";
      dismiss.addEventListener("click", function () { forgetAside(scan.nonce); focusScan(); });
      [who, when, why, again, dismiss].forEach(function (el) { item.appendChild(el); });
      list.appendChild(item);
    });
    $("aside-count").textContent = String(entries.length);
    $("aside-link").textContent = entries.length + " set aside: see below";
    $("set-aside").hidden = $("aside-note").hidden = entries.length === 0;
  }

  function showError(message) {
    show({ result: "error", word: "NOT RECORDED", status: "refused", person: null }, false);
    $("result-detail").textContent = message;
  }
  function hideResult() { result.hidden = true; focusScan(); }
  result.addEventListener("click", hideResult);

  function clock(iso) {
    if (!iso) return "?";
    var d = new Date(iso);
    return isNaN(d) ? iso : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  var audio = null;
  function signal(ok) {
    if ($("opt-vibrate").checked && navigator.vibrate) navigator.vibrate(ok ? 80 : [200, 100, 200]);
    if (!$("opt-sound").checked) return;
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var tone = audio.createOscillator();
      tone.frequency.value = ok ? 880 : 220;
      tone.connect(audio.destination);
      tone.start();
      tone.stop(audio.currentTime + (ok ? 0.12 : 0.4));
    } catch (e) { /* no sound on this device */ }
  }

  // ---- keyboard-wedge scanner: the field keeps focus, Enter sends, the field clears --------

  function focusScan() {
    var active = document.activeElement;
    if (active && active !== document.body && active !== codeInput && app.contains(active) &&
        active.id !== "result") return;
    codeInput.focus();
  }
  $("scan-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var text = codeInput.value.trim();
    codeInput.value = "";
    if (text) submit(newScan({ code: text }));
    codeInput.focus();
  });
  codeInput.addEventListener("blur", function () {
    setTimeout(function () {
      if (!$("name-search").hidden || document.activeElement === doorChoice) return;
      if (document.activeElement === document.body) codeInput.focus();
    }, 150);
  });

  // ---- camera -------------------------------------------------------------------------------

  var stream = null, lastCode = "", lastAt = 0;
  $("camera-toggle").addEventListener("click", function () {
    if (stream) { stopCamera(); return; }
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      $("camera-status").textContent = "This browser cannot use the camera here (it needs https).";
      $("camera").hidden = false;
      return;
    }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (s) {
      stream = s;
      var video = $("camera-video");
      video.srcObject = s;
      video.play();
      $("camera").hidden = false;
      $("camera-toggle").textContent = "Stop camera";
      requestAnimationFrame(tick);
    }).catch(function (error) {
      $("camera").hidden = false;
      $("camera-status").textContent = "No camera: " + error.message;
    });
  });
  function stopCamera() {
    stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null;
    $("camera").hidden = true;
    $("camera-toggle").textContent = "Scan with camera";
  }
  function tick() {
    if (!stream) return;
    var video = $("camera-video"), canvas = $("camera-canvas");
    if (video.readyState === video.HAVE_ENOUGH_DATA && window.jsQR) {
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      var context = canvas.getContext("2d", { willReadFrequently: true });
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      var image = context.getImageData(0, 0, canvas.width, canvas.height);
      var found = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
      var now = Date.now();
      // The same badge stays in view for a moment: read it once, not thirty times a second.
      if (found && found.data && (found.data !== lastCode || now - lastAt > 4000)) {
        lastCode = found.data;
        lastAt = now;
        submit(newScan({ code: found.data }));
      }
    }
    setTimeout(function () { requestAnimationFrame(tick); }, 120);
  }

  // ---- a lost badge: find the person by name, admit with a reason ---------------------------

  var chosen = null;
  $("name-toggle").addEventListener("click", function () {
    var box = $("name-search");
    box.hidden = !box.hidden;
    if (!box.hidden) $("name-q").focus(); else focusScan();
  });
  $("name-q").addEventListener("input", function () {
    var q = this.value.trim().toLowerCase();
    var list = $("name-results");
    list.textContent = "";
    if (q.length < 2 || !roster) return;
    roster.people.filter(function (p) {
      return p.name.toLowerCase().indexOf(q) >= 0 || p.group.toLowerCase().indexOf(q) >= 0;
    }).slice(0, 20).forEach(function (p) {
      var item = document.createElement("li");
      var label = document.createElement("span");
      label.textContent = p.name + " · " + p.group + " · " + (PASSES[p.pass_type] || p.pass_type) +
        (p.approved ? "" : " · NOT APPROVED") + (index.inside[p.id] ? " · inside" : "");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "small";
      button.textContent = direction() === "in" ? "Admit…" : "Let out…";
      button.addEventListener("click", function () { choose(p); });
      item.appendChild(label);
      item.appendChild(button);
      list.appendChild(item);
    });
  });
  function choose(person) {
    chosen = person;
    $("manual-who").textContent = person.name + " (" + person.group + ")";
    $("manual-form").hidden = false;
    $("manual-reason").focus();
  }
  $("manual-cancel").addEventListener("click", function () { $("manual-form").hidden = true; chosen = null; });
  $("manual-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var reason = $("manual-reason").value.trim();
    if (!chosen || !reason) return;
    submit(newScan({ delegate_id: chosen.id, reason: reason }));
    $("manual-form").hidden = true;
    $("manual-reason").value = "";
    $("name-q").value = "";
    $("name-results").textContent = "";
    $("name-search").hidden = true;
    chosen = null;
  });

  // ---- roster and counters ----------------------------------------------------------------

  function refreshRoster() {
    request("GET", rosterUrl).then(function (response) {
      if (!response.ok) throw new Error("roster " + response.status);
      return response.json();
    }).then(function (data) {
      roster = data;
      try { save("roster", roster); } catch (e) { /* storage full: keep it in memory */ }
      buildIndex();
      showNet();
      showAside(); // names for the scans set aside
    }).catch(function () { /* keep the roster we have */ });
  }

  function showCounters(c) {
    $("count-inside").textContent = c.inside_now.toLocaleString();
    $("count-delegates").textContent = c.delegates_present.toLocaleString();
    $("count-votes").textContent = c.votes_present.toLocaleString();
    $("count-quorum").textContent = c.quorum.toLocaleString();
    var state = $("quorum-state");
    state.textContent = c.is_quorate ? "quorum: QUORATE" : "quorum: NOT QUORATE";
    state.className = "l " + (c.is_quorate ? "quorate" : "not-quorate");
  }
  function refreshCounters() {
    if (!online) return;
    request("GET", presenceUrl).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (c) { if (c) { showCounters(c); flush(); } }).catch(function () {});
  }
  var soon = null;
  function refreshCountersSoon() { clearTimeout(soon); soon = setTimeout(refreshCounters, 400); }

  // Keep a copy of this page and its files for a reload while offline (needs https or
  // localhost; without a service worker the page still works, it just cannot be reloaded).
  function keepForOffline() {
    var urls = [location.href];
    document.querySelectorAll("script[src], link[href]").forEach(function (el) {
      urls.push(el.src || el.href);
    });
    urls.forEach(function (u) { fetch(u, { credentials: "same-origin" }).catch(function () {}); });
  }
  if ("serviceWorker" in navigator && app.getAttribute("data-service-worker")) {
    navigator.serviceWorker.register(app.getAttribute("data-service-worker")).then(function () {
      if (navigator.serviceWorker.controller) keepForOffline();
      else navigator.serviceWorker.addEventListener("controllerchange", keepForOffline, { once: true });
    }).catch(function () { /* no offline reload on this device */ });
  }

  showNet();
  showAside();
  refreshRoster();
  refreshCounters();
  setInterval(refreshCounters, 5000);
  setInterval(function () { if (online) refreshRoster(); }, 60000);
  setInterval(function () { if (online) flush(); else probeSoon(); }, 10000);
  if (online) flush(); else probeSoon();
  focusScan();
})();
