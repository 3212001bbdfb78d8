/* The notice report page: poll the delivery counts while anything is pending; reload once it settles so the
   per-recipient table shows the final states. */
"use strict";
(function () {
  var box = document.querySelector("[data-report]");
  if (!box) { return; }
  var url = box.getAttribute("data-report"), started = box.getAttribute("data-status");
  function field(name) { return box.querySelector('[data-field="' + name + '"]'); }
  function show(d) {
    ["status", "progress", "total", "sent", "pending", "failed", "refused", "cancelled"].forEach(function (k) {
      var el = field(k); if (el) { el.textContent = d[k]; }
    });
    var bar = field("bar"); if (bar) { bar.style.width = d.progress + "%"; }
  }
  function poll() {
    window.kaohe.call("GET", url).then(function (r) {
      if (!r.ok) { return; }
      show(r.data);
      if (r.data.pending > 0 && r.data.status !== "已撤回") { setTimeout(poll, 1500); }
      else if (started === "发送中" || started === "待发送") { window.location.reload(); }
    });
  }
  poll();
})();
