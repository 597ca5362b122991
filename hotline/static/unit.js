/* 承办单位 inbox: the unit's cases, overdue first with a countdown, and the unit's steps:
   签收, 退回, 开始办理, 答复, 申请延期, 差评申诉. */
"use strict";
(() => {
  const { api, esc, $, $$, toast, fmt } = H;
  const OPEN = ["dispatched", "return_requested", "accepted", "in_progress"];
  const OPEN_TASKS = ["待核实", "整改中", "申诉待审核"];
  let cases = [];
  let filter = "open";
  let current = null;

  const FILTERS = {
    open: (c) => OPEN.includes(c.state),
    dispatched: (c) => c.state === "dispatched",
    doing: (c) => c.state === "accepted" || c.state === "in_progress",
    late: (c) => c.overdue || (c.escalated && OPEN.includes(c.state)),
    done: (c) => ["replied", "followed_up", "closed"].includes(c.state),
    rect: (c) => OPEN_TASKS.includes(c.rectification),
    all: () => true,
  };

  function order(a, b) {
    const open = (c) => (OPEN.includes(c.state) ? 0 : 1);
    const due = (c) => (c.due_at ? new Date(c.due_at).getTime() : Infinity);
    return open(a) - open(b) || b.overdue - a.overdue || due(a) - due(b)
      || new Date(b.received_at) - new Date(a.received_at);
  }

  async function load() {
    const all = [];
    for (let page = 1; page <= 10; page++) {
      const data = await api("GET", `/api/v1/cases?size=100&page=${page}`);
      all.push(...data.items);
      if (page * 100 >= data.total) break;
    }
    cases = all.sort(order);
    $("#s-new").textContent = cases.filter(FILTERS.dispatched).length;
    $("#s-doing").textContent = cases.filter(FILTERS.doing).length;
    $("#s-late").textContent = cases.filter(FILTERS.late).length;
    $("#s-rect").textContent = cases.filter(FILTERS.rect).length;
    renderList();
  }

  function renderList() {
    const items = cases.filter(FILTERS[filter]);
    $("#list").innerHTML = items.length ? items.map((c) => `
      <button type="button" class="qitem ${c.overdue ? "late" : ""} ${current?.number === c.number ? "on" : ""}" data-case="${esc(c.number)}">
        <div class="row between"><div class="t grow">${esc(c.title || c.body.slice(0, 26))}</div>${H.dueHtml(c)}</div>
        <div class="m"><span class="mono">${esc(c.number)}</span>${H.stateBadge(c)}${H.urgencyBadge(c.urgency)}
          ${c.overdue ? '<span class="badge red">超期</span>' : ""}${c.escalated ? '<span class="badge redsoft">督办</span>' : ""}
          ${c.extension_asked ? '<span class="badge orange">延期待批</span>' : ""}
          ${c.rectification ? `<span class="badge violet">整改·${esc(c.rectification)}</span>` : ""}</div>
        <div class="m">受理 ${esc(fmt(c.received_at))}${c.due_at ? ` · 时限 ${esc(fmt(c.due_at))}` : ""}</div>
      </button>`).join("") : '<div class="empty">没有符合条件的工单</div>';
    $$("[data-case]", $("#list")).forEach((b) => b.addEventListener("click", () => open(b.dataset.case)));
  }

  $$("#filters .chip").forEach((b) => b.addEventListener("click", () => {
    filter = b.dataset.f;
    $$("#filters .chip").forEach((x) => x.classList.toggle("on", x === b));
    renderList();
  }));
  $("#refresh").addEventListener("click", load);

  async function open(number) {
    try { current = await api("GET", `/api/v1/cases/${encodeURIComponent(number)}`); } catch { return; }
    render();
    renderList();
  }

  const box = (title, inner) => `<div class="actions-box"><h3>${title}</h3>${inner}</div>`;

  function actions(c) {
    const out = [];
    if (c.state === "dispatched") {
      out.push(box("签收", `<div class="row between"><span class="small muted">签收表示本单位接手办理；不属于本单位职责的，请在派单后 2 个工作日内申请退回。</span>
        <button class="btn primary" type="button" data-act="accept">签收</button></div>`));
      out.push(box("申请退回", `<textarea id="return-note" rows="2" placeholder="退回理由（必填），例如：该事项属于××职责，建议改派××"></textarea>
        <div class="row" style="justify-content:flex-end;margin-top:8px"><button class="btn sm danger" type="button" data-act="request_return">申请退回</button></div>`));
    }
    if (c.state === "return_requested") out.push('<div class="banner warn">退回申请已提交，等待值班长审核。</div>');
    if (c.state === "accepted") {
      out.push(box("开始办理", `<div class="row"><input type="text" id="start-note" placeholder="办理安排（可不填），例如：已安排人员现场核查">
        <button class="btn primary sm" type="button" data-act="start">开始办理</button></div>`));
    }
    if (c.state === "accepted" || c.state === "in_progress") {
      out.push(box("答复", `<textarea id="reply-text" rows="4" placeholder="向来电人答复的办理结果（必填）：核查情况、处理措施、结果"></textarea>
        <div class="row" style="justify-content:flex-end;margin-top:8px"><button class="btn ok" type="button" data-act="reply">提交答复</button></div>`));
      out.push(box(`申请延期${c.extension_asked ? ' <span class="badge orange">已申请，待审批</span>' : ""}`, `<div class="row">
        <input type="number" id="ext-days" min="1" max="10" value="3" style="width:90px" aria-label="延期天数"><span class="small muted">个工作日</span>
        <input type="text" id="ext-note" placeholder="延期理由（必填）" class="grow">
        <button class="btn sm warn" type="button" data-act="request_extension" ${c.extension_asked ? "disabled" : ""}>申请延期</button></div>`));
    }
    if (["待核实", "整改中"].includes(c.rectification)) {
      out.push(box(`差评申诉 <span class="badge violet">${esc(c.rectification)}</span>`, `<textarea id="dispute-note" rows="2" placeholder="申诉理由（必填）：说明已依法依规办理的情况"></textarea>
        <div class="row" style="justify-content:flex-end;margin-top:8px"><button class="btn sm warn" type="button" data-act="dispute_rating">提交申诉</button></div>`));
    }
    if (c.rectification === "申诉待审核") out.push('<div class="banner warn">差评申诉已提交，等待值班长审核。</div>');
    if (!out.length) out.push(`<div class="banner">${c.state === "merged" ? "本工单已并入主工单办理。" : "本工单已答复，无需进一步操作。"}</div>`);
    return out.join("");
  }

  function render() {
    const c = current;
    const p = $("#panel");
    p.innerHTML = `${CaseKit.head(c)}
      <div class="card-body stack">
        <div class="banner error hidden" id="conflict" role="alert"></div>
        ${c.overdue ? `<div class="banner error">本工单已超过办理时限${c.escalated ? "，已被督办" : ""}，请尽快办理并答复。</div>` : c.escalated ? '<div class="banner error">本工单已被督办，请尽快办理。</div>' : ""}
        <div><div class="field-label">诉求内容</div><div class="body-box">${esc(c.body)}</div></div>
        ${CaseKit.facts(c)}
        ${c.route_reason ? `<div><div class="field-label">派单理由</div><div class="small">${esc(c.route_reason)}</div></div>` : ""}
        ${c.reply ? `<div><div class="field-label">本单位答复（${esc(fmt(c.replied_at))}）</div><div class="reply-box">${esc(c.reply)}</div></div>` : ""}
        <div class="section-title">办理操作<span class="line"></span></div>
        ${actions(c)}
        <div class="section-title">办理记录<span class="line"></span></div>
        ${CaseKit.timeline(c.events)}
      </div>`;
    $$("[data-act]", p).forEach((b) => b.addEventListener("click", () => act(b.dataset.act)));
    p.scrollTop = 0;
  }

  const val = (sel) => ($(sel)?.value || "").trim();

  async function act(action) {
    const body = {
      accept: () => ({}),
      request_return: () => (val("#return-note") ? { note: val("#return-note") } : (toast("请填写退回理由"), null)),
      start: () => ({ note: val("#start-note") }),
      reply: () => (val("#reply-text") ? { text: val("#reply-text") } : (toast("请填写答复内容"), null)),
      request_extension: () => (val("#ext-note") ? { days: Number(val("#ext-days")), note: val("#ext-note") } : (toast("请填写延期理由"), null)),
      dispute_rating: () => (val("#dispute-note") ? { note: val("#dispute-note") } : (toast("请填写申诉理由"), null)),
    }[action]();
    if (!body) return;
    const number = current.number;
    try {
      await CaseKit.act(current, action, body, {
        root: $("#panel"),
        reload: () => open(number),
        done: (out) => { current = out; render(); },
      });
      load();
    } catch { /* shown */ }
  }

  load().catch(() => {});
  setInterval(() => load().catch(() => {}), 60000);
})();
