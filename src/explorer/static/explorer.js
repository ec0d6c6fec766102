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
  // Times are shown in UTC; the local time is in the tooltip.
  document.querySelectorAll("time[datetime]").forEach(function (el) {
    var d = new Date(el.getAttribute("datetime"));
    if (!isNaN(d.getTime())) el.title = d.toLocaleString();
  });
})();
