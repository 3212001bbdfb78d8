/* The console's small behaviours: confirm before a destructive form, poll a background job until its file is ready. */
"use strict";
document.addEventListener("submit", function (ev) {
  var msg = ev.target.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) { ev.preventDefault(); }
});
(function () {
  document.querySelectorAll("[data-job]").forEach(function (box) {
    var id = box.getAttribute("data-job"), bar = box.querySelector(".progress > span"), text = box.querySelector(".job-message");
    var link = box.querySelector(".job-download");
    function poll() {
      window.kaohe.call("GET", "/console/api/jobs/" + id).then(function (r) {
        if (!r.ok) { text.textContent = r.data.message || "查询失败"; return; }
        bar.style.width = r.data.progress + "%"; text.textContent = r.data.message || "";
        if (r.data.state === "done") {
          if (r.data.file_name && link) { link.classList.remove("hidden"); link.textContent = "下载 " + r.data.file_name; }
          box.dispatchEvent(new CustomEvent("job-done", { detail: r.data, bubbles: true }));
        } else if (r.data.state !== "failed") { setTimeout(poll, 700); }
      });
    }
    poll();
  });
})();
