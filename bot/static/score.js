/* The scoring sheet: each tap is saved at once under the evaluation's version; the total and the suggested grade
   shown are the server's answer (no rule here). Another device's change → a message and the fresh values. */
"use strict";
(function () {
  var sheet = document.getElementById("sheet");
  if (!sheet || sheet.dataset.canScore !== "1") { return; }
  var id = sheet.dataset.evaluation, version = parseInt(sheet.dataset.version, 10);
  var state = document.getElementById("save-state"), conflict = document.getElementById("conflict");
  var queue = Promise.resolve();
  function show(result) {
    document.getElementById("total").textContent = result.total;
    document.getElementById("suggested").textContent = result.suggested_grade || "—";
    version = result.version; document.getElementById("submit-version").value = version;
    sheet.querySelectorAll(".indicator").forEach(function (row) {
      var v = result.scores[row.dataset.indicator];
      row.querySelector(".score").textContent = v === undefined ? "—" : v;
      var input = row.querySelector(".points"); if (input && document.activeElement !== input) { input.value = v === undefined ? "" : v; }
    });
  }
  function refresh() {
    return window.kaohe.call("GET", "/m/api/evaluations/" + id).then(function (r) { if (r.ok) { show(Object.assign({}, r.data.result, { version: r.data.version })); } });
  }
  function tap(row, tapBody, chosen) {
    queue = queue.then(function () {
      state.textContent = "正在保存…";
      return window.kaohe.call("PUT", "/m/api/evaluations/" + id + "/scores", { taps: [tapBody], version: version }).then(function (r) {
        if (r.ok) {
          conflict.classList.add("hidden"); state.textContent = "已保存"; show(r.data);
          row.querySelectorAll(".level").forEach(function (b) { b.classList.toggle("chosen", b === chosen); });
        } else if (r.status === 412) {
          conflict.textContent = "已在其他设备上修改，已载入最新分数，请核对后再打分。"; conflict.classList.remove("hidden");
          state.textContent = "未保存"; return refresh();
        } else { conflict.textContent = r.data.message || "保存失败"; conflict.classList.remove("hidden"); state.textContent = "未保存"; }
      });
    });
  }
  sheet.addEventListener("click", function (ev) {
    var b = ev.target.closest(".level"); if (!b) { return; }
    var row = b.closest(".indicator");
    tap(row, { indicator_id: parseInt(row.dataset.indicator, 10), level: b.dataset.level }, b);
  });
  sheet.addEventListener("change", function (ev) {
    var input = ev.target.closest(".points"); if (!input || input.value === "") { return; }
    var row = input.closest(".indicator");
    tap(row, { indicator_id: parseInt(row.dataset.indicator, 10), points: parseFloat(input.value) }, null);
  });
})();
