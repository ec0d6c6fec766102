// PoQ Explorer: small progressive enhancements. Every page works without this script.
(function () {
  "use strict";
  // "/" focuses the search box, as on most explorers.
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    if (e.key === "/" && !(t instanceof HTMLInputElement) && !(t instanceof HTMLTextAreaElement)) {
      var q = document.querySelector("form.search input[name=q]");
      if (q) {
        e.preventDefault();
        q.focus();
        q.select();
      }
    }
  });
  // Copy buttons (claim arguments with their Merkle proof).
  document.querySelectorAll("button.copy[data-copy]").forEach(function (b) {
    b.addEventListener("click", function () {
      var text = b.getAttribute("data-copy") || "";
      var done = function () {
        var was = b.textContent;
        b.textContent = "Copied";
        setTimeout(function () { b.textContent = was; }, 1200);
      };
      if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(text).then(done, function () {});
    });
  });
  // Countdowns are rendered by the server; this only keeps the remaining time current.
  function duration(s) {
    var units = [[86400, "d"], [3600, "h"], [60, "min"], [1, "s"]];
    var parts = [];
    var rest = Math.max(0, Math.floor(s));
    for (var i = 0; i < units.length && parts.length < 2; i++) {
      if (rest >= units[i][0] || (parts.length === 0 && units[i][0] === 1)) {
        parts.push(Math.floor(rest / units[i][0]) + " " + units[i][1]);
        rest %= units[i][0];
      }
    }
    return parts.join(" ");
  }
  var countdowns = document.querySelectorAll(".countdown[data-deadline][data-now]");
  if (countdowns.length) {
    var loaded = Date.now() / 1000;
    var tick = function () {
      var elapsed = Date.now() / 1000 - loaded;
      countdowns.forEach(function (el) {
        var left = Number(el.getAttribute("data-deadline")) - (Number(el.getAttribute("data-now")) + elapsed);
        var out = el.querySelector(".left");
        if (out) out.textContent = left > 0 ? "in " + duration(left) : "passed; the next block moves it on";
      });
    };
    setInterval(tick, 1000);
  }
  // Times are shown in UTC; the local time is in the tooltip.
  document.querySelectorAll("time[datetime]").forEach(function (el) {
    var d = new Date(el.getAttribute("datetime"));
    if (!isNaN(d.getTime())) el.title = d.toLocaleString();
  });
})();
