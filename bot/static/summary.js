/* The summary editor: autosave (debounced) under the summary's version; a copy in localStorage until the server
   has it, so a dropped connection loses nothing; a conflict shows the other device's text and overwrites nothing. */
"use strict";
(function () {
  var box = document.getElementById("summary"), text = document.getElementById("text");
  if (!box || !text) { return; }
  var state = document.getElementById("save-state"), conflict = document.getElementById("conflict");
  var fresh = document.getElementById("take-fresh"), key = box.dataset.key;
  var version = parseInt(box.dataset.version, 10) || 0, timer = null, saving = false, pending = false, blocked = false;
  var dirty = false, afterSave = null;
  var paragraphs = function () { return text.value.split("\n").map(function (s) { return s.trim(); }).filter(Boolean); };
  var local = null;
  try { local = JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { local = null; }
  if (local && local.text !== text.value && local.version === version) {
    text.value = local.text; state.textContent = "已恢复本机未保存的内容"; schedule();
  }
  function remember() { try { localStorage.setItem(key, JSON.stringify({ text: text.value, version: version })); } catch (e) { /* private mode */ } }
  function forget() { try { localStorage.removeItem(key); } catch (e) { /* private mode */ } }
  function schedule() { dirty = true; if (blocked) { return; } clearTimeout(timer); timer = setTimeout(save, 800); state.textContent = "正在输入…"; }
  function save() {
    if (saving) { pending = true; return; }
    saving = true; state.textContent = "正在保存…";
    var sent = text.value;
    window.kaohe.call("PUT", "/m/api/summary", { paragraphs: paragraphs(), version: version }).then(function (r) {
      saving = false;
      if (r.ok) {
        version = r.data.version;
        if (text.value === sent) { dirty = false; forget(); state.textContent = "已保存"; } else { remember(); }
        if (!dirty && afterSave) { var next = afterSave; afterSave = null; next(); }
      } else if (r.status === 409 && r.data.code === "version_conflict") {
        blocked = true;
        conflict.textContent = "个人小结已在其他设备上修改（例如公众号对话），为避免覆盖，本页的修改未保存。";
        conflict.classList.remove("hidden"); fresh.classList.remove("hidden"); state.textContent = "未保存";
      } else {
        state.textContent = r.data.message || "保存失败"; remember();
      }
      if (pending) { pending = false; schedule(); }
    });
  }
  text.addEventListener("input", function () { remember(); schedule(); });
  fresh.addEventListener("click", function () {
    window.kaohe.call("GET", "/m/api/summary").then(function (r) {
      if (!r.ok || !r.data) { return; }
      text.value = r.data.paragraphs.join("\n"); version = r.data.version; blocked = false; forget();
      conflict.classList.add("hidden"); fresh.classList.add("hidden"); state.textContent = "已载入最新内容";
    });
  });
  document.getElementById("to-preview").addEventListener("click", function (ev) {
    ev.preventDefault();
    if (blocked) { return; }
    var go = function () { window.location = "/m/summary/preview"; };
    if (!dirty && !saving) { go(); return; }
    afterSave = go; clearTimeout(timer); save();
  });
})();
