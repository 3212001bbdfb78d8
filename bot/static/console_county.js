/* The notice report page: poll the delivery counts while anything is pending; reload once it settles so the
   per-recipient table shows the final states. A scheduled notice whose time has not come (no recipients decided
   yet) is asked again every 30 s and never reloaded until it goes out. */
"use strict";
(function () {
  var box = document.querySelector("[data-report]");
  if (!box) { return; }
  var url = box.getAttribute("data-report"), started = box.getAttribute("data-status"), polls = 0;
  function field(name) { return box.querySelector('[data-field="' + name + '"]'); }
  function width(progress) { var bar = field("bar"); if (bar) { bar.style.width = progress + "%"; } }
  function show(d) {
    ["status", "progress", "total", "sent", "pending", "failed", "refused", "cancelled", "unbound"].forEach(function (k) {
      var el = field(k); if (el) { el.textContent = d[k]; }
    });
    width(d.progress);
  }
  function poll() {
    window.kaohe.call("GET", url).then(function (r) {
      if (!r.ok) { return; }
      var d = r.data;
      show(d);
      if (!d.resolved && d.status === "待发送") { setTimeout(poll, 30000); }
      else if (d.pending > 0 && d.status !== "已撤回") { setTimeout(poll, 1500); }
      else if (started === "发送中" || started === "待发送") { window.location.reload(); }
      box.setAttribute("data-polls", ++polls);
    });
  }
  width((field("progress") || {}).textContent || 0);
  poll();
})();
