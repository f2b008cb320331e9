// 季度通报: a print button (the page prints without it too: Ctrl+P).
(function () {
  "use strict";
  var buttons = document.querySelectorAll("button.print-page");
  for (var i = 0; i < buttons.length; i++) {
    buttons[i].hidden = false;
    buttons[i].addEventListener("click", function () { window.print(); });
  }
})();
