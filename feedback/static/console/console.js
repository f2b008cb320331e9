// Console behaviour without inline scripts (the pages' CSP allows scripts from this server only).
(function () {
  "use strict";
  var body = document.body;
  var csrf = body.getAttribute("data-csrf");

  // htmx requests carry the CSRF token like forms do.
  document.addEventListener("htmx:configRequest", function (event) {
    if (csrf) { event.detail.headers["X-CSRF-Token"] = csrf; }
  });

  // Idle warning: two minutes before the session's idle timeout, offer to stay; at the timeout, go to login.
  var idle = parseInt(body.getAttribute("data-idle-seconds") || "0", 10);
  if (!idle) { return; }
  var warnBefore = Math.min(120, Math.floor(idle / 2));
  var banner = document.getElementById("idle-warning");
  var text = document.getElementById("idle-text");
  var stay = document.getElementById("idle-stay");
  var lastActive = Date.now();
  var timer = null;

  function secondsLeft() { return idle - Math.floor((Date.now() - lastActive) / 1000); }

  function tick() {
    var left = secondsLeft();
    if (left <= 0) {
      window.location.assign(body.getAttribute("data-login"));
      return;
    }
    if (left <= warnBefore) {
      var minutes = Math.floor(left / 60), seconds = left % 60;
      text.textContent = "您已较长时间没有操作，" + (minutes ? minutes + " 分 " : "") + seconds +
        " 秒后将自动退出登录。未保存的内容请先保存。";
      banner.hidden = false;
    }
  }

  stay.addEventListener("click", function () {
    var request = new XMLHttpRequest();
    request.open("POST", body.getAttribute("data-keepalive"));
    request.setRequestHeader("X-CSRF-Token", csrf);
    request.onload = function () {
      if (request.status === 204) { lastActive = Date.now(); banner.hidden = true; }
      else { window.location.assign(body.getAttribute("data-login")); }
    };
    request.send();
  });

  timer = window.setInterval(tick, 1000);
  window.addEventListener("pagehide", function () { window.clearInterval(timer); });
})();
