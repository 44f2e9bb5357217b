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
    var account = document.getElementById("boot-account");
    if (loading) loading.hidden = true;
    // Without the app there is no next step to go to.
    if (account) account.hidden = true;
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
  // The pre-rendered account step: shown on the first step only (any other
  // route waits for the app), marks the language in use, and holds on to a
  // "Next" pressed before the app has started; the app takes it from there.
  whenReady(function () {
    var account = document.getElementById("boot-account");
    var loading = document.getElementById("boot-loading");
    var links = document.querySelectorAll("#boot-header .languages a");
    for (var i = 0; i < links.length; i++) {
      if (links[i].getAttribute("lang") === lang) links[i].setAttribute("aria-current", "true");
    }
    if (!account) return;
    if (location.pathname !== "/") {
      account.hidden = true;
      if (loading) loading.hidden = false;
      return;
    }
    var form = document.getElementById("boot-form");
    if (!form) return;
    var carryOn = function () {
      form.setAttribute("data-continue", "");
      if (loading) loading.hidden = false;
    };
    // "Next" pressed before this script ran submitted the form the plain
    // way (?username=...): take the name back and carry on from there.
    // A sign-in link from the help desk names the account (?upn=), never the pass.
    var named = /[?&]upn=([^&]*)/.exec(location.search);
    var upnField = document.getElementById("upn");
    if (named && upnField && !upnField.value) upnField.value = decodeURIComponent(named[1].replace(/\+/g, " "));
    var sent = /[?&]username=([^&]*)/.exec(location.search);
    if (sent) {
      var field = document.getElementById("upn");
      if (field) field.value = decodeURIComponent(sent[1].replace(/\+/g, " "));
      history.replaceState(null, "", location.pathname);
      carryOn();
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      carryOn();
    });
  });
  // The chosen language's sentences: the app takes this download over when
  // it starts, so the catalog is fetched once, early, and only for one language.
  // The first load has a catalog of its own sentences only (data-catalog).
  var catalogs = document.documentElement.getAttribute("data-catalog") || "/locales/";
  var catalog = fetch(catalogs + lang + ".json").then(function (r) {
    if (!r.ok) throw new Error("no catalog");
    return r.text();
  });
  catalog.catch(function () { /* the app fetches it again itself */ });
  window.tapinCatalog = { lang: lang, text: catalog };
  if (lang !== "en") {
    document.documentElement.lang = lang;
    document.documentElement.dir = lang === "ar" ? "rtl" : "ltr";
    catalog.then(function (text) {
      var strings = JSON.parse(text);
      whenReady(function () {
        var nodes = document.querySelectorAll("#boot [data-i18n], #boot-header [data-i18n]");
        for (var i = 0; i < nodes.length; i++) {
          var text = strings[nodes[i].getAttribute("data-i18n")];
          if (text) nodes[i].textContent = text;
        }
        var labelled = document.querySelectorAll("[data-i18n-label]");
        for (var j = 0; j < labelled.length; j++) {
          var label = strings[labelled[j].getAttribute("data-i18n-label")];
          if (label) labelled[j].setAttribute("aria-label", label);
        }
      });
    }).catch(function () { /* the English page stays */ });
  }
  if (typeof WebAssembly !== "object" || typeof WebAssembly.instantiate !== "function") {
    whenReady(explain);
    return;
  }
  // The app removes #boot once it runs; a failure before that means it never started.
  window.addEventListener("unhandledrejection", function () { whenReady(explain); });
  window.addEventListener("error", function () { whenReady(explain); });
})();
