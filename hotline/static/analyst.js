/* 统计: per-unit figures and the latest cases (masked for analysts by the API). */
"use strict";
(() => {
  const { api, esc, $, fmt } = H;
  const pct = (x) => (x === null || x === undefined ? "—" : `${Math.round(x * 100)}%`);
  function pctCell(x, good = 0.9, fair = 0.75) {
    if (x === null || x === undefined) return '<span class="faint">—</span>';
    const cls = x >= good ? "" : x >= fair ? "mid" : "low";
    return `<div class="pct ${cls}"><span>${pct(x)}</span><span class="bar"><i style="width:${Math.round(x * 100)}%"></i></span></div>`;
  }

  async function loadFigures() {
    const days = $("#days").value;
    const rows = await api("GET", `/api/v1/units/figures?days=${days}`);
    rows.sort((a, b) => b.cases - a.cases);
    const sum = (k) => rows.reduce((s, r) => s + (r[k] || 0), 0);
    $("#t-cases").textContent = sum("cases");
    $("#t-ontime").textContent = sum("replied") ? pct(sum("on_time") / sum("replied")) : "—";
    $("#t-sat").textContent = sum("rated") ? pct(sum("satisfied") / sum("rated")) : "—";
    $("#t-bad").textContent = `${sum("bad")} / ${sum("rectifying")}`;
    $("#fig-note").textContent = `近 ${days} 天派出的工单，共 ${rows.length} 个单位`;
    $("#fig-rows").innerHTML = rows.length ? rows.map((r) => `<tr>
      <td>${esc(r.unit)}<div class="small faint mono">${esc(r.unit_id)}</div></td>
      <td class="num">${r.cases}</td><td class="num">${r.replied}</td><td class="num">${pctCell(r.on_time_rate)}</td>
      <td class="num">${r.returns || '<span class="faint">0</span>'}</td><td class="num">${r.rated}</td>
      <td class="num">${pctCell(r.satisfaction, 0.85, 0.7)}</td>
      <td class="num">${r.bad ? `<span class="badge redsoft">${r.bad}</span>` : '<span class="faint">0</span>'}</td>
      <td class="num">${r.rectifying ? `<span class="badge violet">${r.rectifying}</span>` : '<span class="faint">0</span>'}</td></tr>`).join("")
      : '<tr><td colspan="9" class="empty">所选时间内没有派单</td></tr>';
  }

  let page = 1;
  const SIZE = 12;
  async function loadCases() {
    const state = $("#state").value;
    const q = $("#q").value.trim();
    const data = await api("GET", `/api/v1/cases?size=${SIZE}&page=${page}${state ? `&state=${state}` : ""}${q ? `&q=${encodeURIComponent(q)}` : ""}`);
    const pages = Math.max(1, Math.ceil(data.total / SIZE));
    $("#page-info").textContent = `共 ${data.total} 件 · 第 ${page} / ${pages} 页`;
    $("#prev").disabled = page <= 1;
    $("#next").disabled = page >= pages;
    $("#case-rows").innerHTML = data.items.length ? data.items.map((c) => `<tr>
      <td class="mono small">${esc(c.number)}</td><td class="small" style="white-space:nowrap">${esc(fmt(c.received_at))}</td>
      <td><div style="font-weight:500">${esc(c.title || "（无标题）")}</div><div class="clip small muted" style="max-width:420px">${esc(c.body)}</div></td>
      <td class="small">${esc(c.code_name || "—")}</td><td class="small">${esc(c.lead_unit || "—")}</td>
      <td style="white-space:nowrap">${H.stateBadge(c)} ${c.overdue ? '<span class="badge red">超期</span>' : ""}</td></tr>`).join("")
      : '<tr><td colspan="6" class="empty">没有工单</td></tr>';
  }

  $("#days").addEventListener("change", loadFigures);
  $("#state").addEventListener("change", () => { page = 1; loadCases(); });
  $("#q").addEventListener("input", H.debounce(() => { page = 1; loadCases(); }, 350));
  $("#prev").addEventListener("click", () => { page--; loadCases(); });
  $("#next").addEventListener("click", () => { page++; loadCases(); });
  loadFigures().catch(() => {});
  loadCases().catch(() => {});
})();
