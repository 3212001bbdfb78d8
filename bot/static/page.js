/* Shared by the phone pages: JSON calls with the session's CSRF token; answers {code, message} on errors. */
"use strict";
window.kaohe = {
  csrf: function () { var m = document.querySelector('meta[name="csrf-token"]'); return m ? m.content : ""; },
  call: function (method, url, body) {
    var init = { method: method, credentials: "same-origin", headers: { "Accept": "application/json" } };
    if (body !== undefined) { init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
    if (method !== "GET") { init.headers["X-CSRF-Token"] = window.kaohe.csrf(); }
    return fetch(url, init).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) { return { ok: r.ok, status: r.status, data: data }; });
    }, function () { return { ok: false, status: 0, data: { message: "网络连接中断，内容已保存在本机，恢复后会自动保存" } }; });
  }
};
