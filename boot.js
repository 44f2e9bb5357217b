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
  if (typeof WebAssembly !== "object" || typeof WebAssembly.instantiate !== "function") {
    whenReady(explain);
    return;
  }
  // The app removes #boot once it runs; a failure before that means it never started.
  window.addEventListener("unhandledrejection", function () { whenReady(explain); });
  window.addEventListener("error", function () { whenReady(explain); });
})();
