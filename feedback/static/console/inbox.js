// 收件箱: a "select the whole page" box over the row checkboxes (the page works without it). The
// list is replaced in place when filtering or paging (htmx), so the box is bound again after each swap.
(function () {
  "use strict";
  function bind() {
    var all = document.getElementById("pick-all");
    if (!all || all.getAttribute("data-bound")) return;
    all.setAttribute("data-bound", "1");
    var boxes = document.querySelectorAll('#inbox-list input[name="ids"]');
    all.hidden = false;
    all.addEventListener("change", function () {
      boxes.forEach(function (box) { box.checked = all.checked; });
    });
    boxes.forEach(function (box) {
      box.addEventListener("change", function () {
        var picked = Array.prototype.filter.call(boxes, function (b) { return b.checked; }).length;
        all.checked = picked === boxes.length;
        all.indeterminate = picked > 0 && picked < boxes.length;
      });
    });
  }
  bind();
  document.addEventListener("htmx:afterSettle", bind);
})();
