/* What the agent console and the unit inbox share: a case's facts, its audit log as a
   timeline, and life-cycle actions sent with the version shown (409 -> a reload banner). */
"use strict";
const CaseKit = (() => {
  const { api, esc, fmt } = H;
  const DATA = H.pageData();

  function facts(c) {
    const due = H.due(c.due_at, H.WITH_UNIT.includes(c.state));
    const rows = [
      ["来源渠道", H.CHANNEL[c.channel] || c.channel],
      ["受理时间", fmt(c.received_at, true)],
      ["来电人", c.caller_name || (c.caller_phone ? "" : "未留姓名")],
      ["联系电话", c.caller_phone || "未留电话"],
      ["诉求分类", c.code ? `${c.code} ${c.code_name}` : "未分类"],
      ["诉求类型", c.appeal_type || "—"],
      ["承办单位", c.lead_unit || "尚未派单"],
      ["办理时限", c.due_at ? `${fmt(c.due_at, true)}` : "—",
        c.due_at && H.WITH_UNIT.includes(c.state)
          ? `<span class="due ${c.overdue ? "late" : due.cls}">${esc(due.text)}</span>` : ""],
    ];
    if (c.extension_days) rows.push(["已延期", `${c.extension_days} 个工作日`]);
    if (c.round > 1) rows.push(["办理轮次", `第 ${c.round} 轮（整改）`]);
    return `<dl class="facts">${rows.map(([k, v, extra]) =>
      `<div><dt>${k}</dt><dd>${esc(v)} ${extra || ""}</dd></div>`).join("")}</dl>`;
  }

  function head(c) {
    return `<div class="case-head">
      <div class="num mono">工单号 ${esc(c.number)} · 版本 ${c.version}</div>
      <h2>${esc(c.title || c.body.slice(0, 30))}</h2>
      <div class="row wrap">${H.caseBadges(c)}</div>
    </div>`;
  }

  function who(e) {
    const role = DATA.roles?.[e.role] || e.role;
    return e.actor === role ? role : `${e.actor}（${role}）`;
  }

  function timeline(events) {
    if (!events || !events.length) return '<div class="empty">暂无记录</div>';
    const items = [...events].reverse().map((e) => {
      const label = DATA.actions?.[e.action] || e.action;
      const move = e.from_state && e.to_state && e.from_state !== e.to_state
        ? `<span class="faint small">${esc(DATA.states?.[e.from_state] || e.from_state)} → ${esc(DATA.states?.[e.to_state] || e.to_state)}</span>` : "";
      const bad = /rate|verify|dispute|escalate|remind|return/.test(e.action) ? "bad" : "";
      return `<li class="${bad}"><div class="row between"><span class="what">${esc(label)}</span><span class="when">${esc(fmt(e.at))}</span></div>
        <div class="small muted">${esc(who(e))} ${move}</div>
        ${e.note ? `<div class="note small">${esc(e.note)}</div>` : ""}</li>`;
    });
    return `<ul class="timeline">${items.join("")}</ul>`;
  }

  /**
   * One life-cycle action on case ``c`` with ``expected_version`` = the version shown.
   * A 409 shows ``detail`` in the element #conflict of ``root`` with a reload button.
   */
  async function act(c, action, body, { root, reload, done, okText }) {
    const conflict = root?.querySelector("#conflict");
    if (conflict) conflict.classList.add("hidden");
    try {
      const out = await api("POST", `/api/v1/cases/${encodeURIComponent(c.number)}/actions/${action}`,
        { ...body, expected_version: c.version }, { quiet: true });
      H.toast(okText || `${DATA.actions?.[action] || action}已完成`, "ok", 3000);
      if (done) done(out);
      return out;
    } catch (e) {
      if (e.status === 409 && conflict) {
        conflict.innerHTML = `<span class="grow"><b>操作未完成：</b>${esc(e.detail)}</span>
          <button class="btn sm" type="button">重新加载工单</button>`;
        conflict.querySelector("button").addEventListener("click", reload);
        conflict.classList.remove("hidden");
        conflict.scrollIntoView({ block: "nearest" });
      }
      H.toast(e.detail);
      throw e;
    }
  }

  function unitOptions(units, selected) {
    const LEVEL = { city: "市级部门", district: "区级部门", street: "街道 / 乡镇", company: "公共企业" };
    const groups = {};
    for (const u of units) (groups[u.level] ||= []).push(u);
    return Object.entries(groups).map(([level, list]) =>
      `<optgroup label="${esc(LEVEL[level] || level)}">${list.map((u) =>
        `<option value="${esc(u.id)}" ${u.id === selected ? "selected" : ""}>${esc(u.name)}（${esc(u.id)}）</option>`).join("")}</optgroup>`).join("");
  }

  return { DATA, facts, head, timeline, act, unitOptions };
})();
