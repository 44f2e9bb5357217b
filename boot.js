// Shows a plain explanation, instead of a blank page, when the app cannot
// start because WebAssembly is missing or blocked.
(function () {
  "use strict";
  var failed = false;
  function explain() {
    if (failed || !document.getElementById("boot")) return;
    failed = true;
    var loading = document.getElementById("boot-loading");
    var blocked = document.getElementById("boot-blocked");
    if (loading) loading.hidden = true;
    if (blocked) {
      blocked.hidden = false;
      blocked.setAttribute("role", "alert");
    }
  }
  function whenReady(fn) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fn);
    else fn();
  }
  // The boot note speaks the user's language too (the same choice as the
  // app: ?lng=, this tab's earlier choice, the browser's languages).
  var supported = ["en", "de", "ar"];
  function pick() {
    var wanted = [];
    var m = /[?&]lng=([^&]+)/.exec(location.search);
    if (m) wanted.push(m[1]);
    try { wanted.push(sessionStorage.getItem("tapin.lng") || ""); } catch (e) { /* storage blocked */ }
    wanted = wanted.concat(navigator.languages || [navigator.language || ""]);
    for (var i = 0; i < wanted.length; i++) {
      var tag = String(wanted[i]).split(/[-_]/)[0].toLowerCase();
      if (supported.indexOf(tag) >= 0) return tag;
    }
    return "en";
  }
  var lang = pick();
  if (lang !== "en") {
    document.documentElement.lang = lang;
    document.documentElement.dir = lang === "ar" ? "rtl" : "ltr";
    fetch("/locales/" + lang + ".json").then(function (r) { return r.json(); }).then(function (strings) {
      whenReady(function () {
        var nodes = document.querySelectorAll("#boot [data-i18n]");
        for (var i = 0; i < nodes.length; i++) {
          var text = strings[nodes[i].getAttribute("data-i18n")];
          if (text) nodes[i].textContent = text;
        }
      });
    }).catch(function () { /* the English note stays */ });
  }
  if (typeof WebAssembly !== "object" || typeof WebAssembly.instantiate !== "function") {
    whenReady(explain);
    return;
  }
  // The app removes #boot once it runs; a failure before that means it never started.
  window.addEventListener("unhandledrejection", function () { whenReady(explain); });
  window.addEventListener("error", function () { whenReady(explain); });
})();
