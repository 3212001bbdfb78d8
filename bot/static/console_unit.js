/* Unit HR pages: the indicator editor asks the server's rule as you type (nothing here knows the 40 + 60 rule;
   it shows the handler's answer), and a finished import job reveals its "view the result" link. */
"use strict";
(function () {
  document.querySelectorAll("form[data-check]").forEach(function (form) {
    var out = form.querySelector(".check"), timer = null, seq = 0;
    function check() {
      var items = [];
      form.querySelectorAll(".ind-row").forEach(function (row) {
        var name = row.querySelector('[name="name"]').value, points = row.querySelector('[name="points"]').value;
        if (name.trim() || points.trim()) {
          items.push({ dimension: row.querySelector('[name="dimension"]').value, name: name, points: points });
        }
      });
      var mine = ++seq;
      window.kaohe.call("POST", form.getAttribute("data-check"),
        { post: form.querySelector('[name="post"]').value, items: items }).then(function (r) {
        if (mine !== seq) { return; }
        out.textContent = r.data.message || (r.ok ? "" : "检查失败");
        out.className = "check " + (r.ok ? "ok" : "err");
      });
    }
    form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(check, 300); });
    form.addEventListener("change", function () { clearTimeout(timer); timer = setTimeout(check, 100); });
  });
  document.addEventListener("job-done", function (ev) {
    var box = ev.target;
    box.querySelectorAll(".job-after").forEach(function (el) { el.classList.remove("hidden"); });
  });
})();
