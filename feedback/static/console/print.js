// Print views: the 打印 button opens the browser's print dialog (no inline script under the CSP).
(function () {
  "use strict";
  var button = document.getElementById("print-now");
  if (button) {
    button.addEventListener("click", function () { window.print(); });
  }
})();
