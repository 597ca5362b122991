/* 查询工单: the caller's own case by number + access code, and 好差评. */
"use strict";
(() => {
  const { api, esc, $, $$, toast } = H;
  const STEPS = ["受理", "派单", "办理", "答复", "办结"];
  const REACHED = { "已受理待派单": 1, "已派单待签收": 2, "退回待审核": 2, "已签收": 3, "办理中": 3,
    "已答复待回访": 4, "已回访": 4, "已办结": 5, "已合并": 2 };
  let access = null;
  let level = 0;

  function show(c) {
    $("#empty").classList.add("hidden");
    $("#case").classList.remove("hidden");
    $("#c-number").textContent = c.number;
    const st = $("#c-state");
    st.textContent = c.state_label;
    st.className = `badge ${c.reply ? "green" : "blue"}`;
    const reached = REACHED[c.state_label] || 1;
    $("#steps").innerHTML = STEPS.map((s, i) => `<div class="st ${i < reached ? "done" : ""}">${s}</div>`).join("");
    $("#c-received").textContent = H.fmt(c.received_at, true);
    const d = H.due(c.due_at, !c.reply);
    $("#c-due").innerHTML = c.due_at
      ? `${esc(H.fmt(c.due_at, true))} <span class="due ${d.cls}">${c.reply ? "" : esc(d.text)}</span>` : "—";
    $("#c-reply").textContent = c.reply || "承办单位正在办理，答复后将在此显示。";
    $("#c-rating").innerHTML = c.rating
      ? `<span class="badge ${["不满意", "非常不满意"].includes(c.rating) ? "redsoft" : "green"}">${esc(c.rating)}</span>`
      : c.can_rate ? '<span class="muted">尚未评价</span>' : '<span class="muted">答复后可评价</span>';
    $("#rate").classList.toggle("hidden", !c.can_rate);
  }

  $("#lookup").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const f = ev.target;
    access = { number: f.number.value.trim(), access_code: f.access_code.value.trim() };
    try { show(await api("POST", "/api/v1/public/cases/lookup", access)); } catch { /* toast shown */ }
  });

  $$("#levels button").forEach((b) => b.addEventListener("click", () => {
    level = Number(b.dataset.level);
    $$("#levels button").forEach((x) => x.classList.toggle("on", x === b));
    $("#submit-rating").disabled = false;
  }));

  $("#submit-rating").addEventListener("click", async () => {
    if (!access || !level) return;
    $("#submit-rating").disabled = true;
    try {
      const c = await api("POST", "/api/v1/public/cases/rate", { ...access, level, comment: $("#comment").value.trim() });
      show(c);
      toast(`感谢您的评价：${c.rating}`, "ok");
    } catch { $("#submit-rating").disabled = false; }
  });
})();
