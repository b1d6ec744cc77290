// Polls the run's status (same-origin, cookie auth) until it ends; no third-party code.
(function () {
  "use strict";
  var box = document.getElementById("run");
  if (!box) { return; }
  var id = box.getAttribute("data-run");
  var names = { queued: "排队中", running: "运行中", done: "已完成", failed: "失败",
                interrupted: "已中断", cancelled: "已取消" };
  function show(run) {
    var st = document.getElementById("status");
    st.textContent = names[run.status] || run.status;
    st.className = "st-" + run.status;
    document.getElementById("bar").value = run.progress;
    document.getElementById("pct").textContent = Math.round(run.progress * 100) + "%";
    document.getElementById("msg").textContent = run.message || "";
    document.getElementById("err").textContent = run.error || "";
    box.setAttribute("data-status", run.status);
    if (run.status === "done") { document.getElementById("downloads").hidden = false; }
  }
  function poll() {
    fetch("/api/runs/" + id, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (run) {
        if (!run) { return; }
        show(run);
        if (run.status === "queued" || run.status === "running") { setTimeout(poll, 1000); }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  var s = box.getAttribute("data-status");
  if (s === "queued" || s === "running") { setTimeout(poll, 500); }
}());
