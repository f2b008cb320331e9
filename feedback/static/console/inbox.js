// 收件箱: a "select the whole page" box over the row checkboxes (the page works without it).
(function () {
  "use strict";
  var all = document.getElementById("pick-all");
  if (!all) return;
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
})();
