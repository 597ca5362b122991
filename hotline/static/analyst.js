/* 统计分析: the analyst dashboard. Filters (time, level-1 code, region, unit) reload every figure
   from /api/v1/analytics; charts are Apache ECharts served by the app (static/echarts.min.js);
   a click on a bar, a day, a slice, a topic or a spike opens the masked case list behind it. */
"use strict";
(() => {
  const { api, esc, $, fmt } = H;
  const BASE = "/api/v1/analytics";
  const COLORS = ["#1b5fbf", "#0e9384", "#f79009", "#7a5af8", "#d92d20", "#2e90fa", "#67a33f", "#98a2b3"];
  const FONT = getComputedStyle(document.body).fontFamily;
  const pct = (x, digits = 0) => (x === null || x === undefined ? "—" : `${(x * 100).toFixed(digits)}%`);
  const num = (n) => (n === null || n === undefined ? "—" : Number(n).toLocaleString("zh-CN"));
  const today = (document.querySelector('meta[name="server-now"]')?.content || new Date().toISOString()).slice(0, 10);
  const shift = (day, days) => {
    const d = new Date(`${day}T00:00:00Z`);
    d.setUTCDate(d.getUTCDate() + days);
    return d.toISOString().slice(0, 10);
  };
  const filters = { start: shift(today, -29), end: today, code: "", region: "", unit: "" };
  let city = "";

  function query(extra = {}) {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries({ ...filters, ...extra })) if (v !== "" && v !== undefined && v !== null) p.set(k, v);
    return p.toString();
  }

  // -- charts -------------------------------------------------------------------------------------
  const charts = {};
  function chart(id) {
    if (!charts[id]) {
      charts[id] = echarts.init(document.getElementById(id), null, { renderer: "canvas" });
    }
    return charts[id];
  }
  window.addEventListener("resize", H.debounce(() => Object.values(charts).forEach((c) => c.resize()), 150));
  const base = () => ({
    color: COLORS,
    textStyle: { fontFamily: FONT, color: "#344054" },
    tooltip: { trigger: "axis", confine: true },
    animationDuration: 400,
  });
  const axisLabel = { color: "#667085", fontSize: 11 };
  const splitLine = { lineStyle: { color: "#eef0f3" } };

  function drawTrend(days) {
    const x = days.map((d) => d.day.slice(5));
    const y = days.map((d) => d.count);
    const avg = y.map((_, i) => {
      const part = y.slice(Math.max(0, i - 6), i + 1);
      return Math.round((part.reduce((s, v) => s + v, 0) / part.length) * 10) / 10;
    });
    chart("c-trend").setOption({
      ...base(),
      grid: { left: 44, right: 18, top: 30, bottom: 28 },
      legend: { right: 10, top: 0, itemWidth: 14, textStyle: { fontSize: 12 } },
      xAxis: { type: "category", data: x, axisLabel, axisLine: { lineStyle: { color: "#d0d5dd" } }, axisTick: { show: false } },
      yAxis: { type: "value", minInterval: 1, axisLabel, splitLine },
      series: [
        { name: "受理量", type: "line", data: y, smooth: 0.25, symbol: "circle", symbolSize: 5,
          lineStyle: { width: 2.5 },
          areaStyle: { color: new echarts.graphic.LinearGradient(0, 0, 0, 1, [
            { offset: 0, color: "rgba(27,95,191,0.28)" }, { offset: 1, color: "rgba(27,95,191,0.02)" }]) } },
        { name: "7日均值", type: "line", data: avg, smooth: true, symbol: "none",
          lineStyle: { width: 1.5, type: "dashed", color: "#f79009" } },
      ],
    }, true);
    chart("c-trend").off("click");
    chart("c-trend").on("click", (e) => {
      const day = days[e.dataIndex]?.day;
      if (day) drill({ start: day, end: day }, `${day} 受理的工单`);
    });
  }

  function drawBars(id, rows, key, horizontal, title) {
    const top = rows.slice(0, horizontal ? 15 : 12);
    const names = top.map((r) => r.name);
    const values = top.map((r) => r.count);
    const cat = { type: "category", data: horizontal ? [...names].reverse() : names, axisLabel: { ...axisLabel, fontSize: 12, color: "#344054", interval: 0, rotate: horizontal || names.length < 8 ? 0 : 30 },
      axisTick: { show: false }, axisLine: { lineStyle: { color: "#d0d5dd" } } };
    const val = { type: "value", minInterval: 1, axisLabel, splitLine };
    chart(id).setOption({
      ...base(),
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, confine: true },
      grid: horizontal ? { left: 110, right: 46, top: 8, bottom: 22 } : { left: 44, right: 14, top: 22, bottom: names.length < 8 ? 28 : 56 },
      xAxis: horizontal ? val : cat,
      yAxis: horizontal ? cat : val,
      series: [{
        type: "bar", data: horizontal ? [...values].reverse() : values, barMaxWidth: horizontal ? 16 : 28,
        itemStyle: { borderRadius: horizontal ? [0, 3, 3, 0] : [3, 3, 0, 0],
          color: horizontal ? "#1b5fbf" : new echarts.graphic.LinearGradient(0, 0, 0, 1, [{ offset: 0, color: "#2e90fa" }, { offset: 1, color: "#1b5fbf" }]) },
        label: { show: true, position: horizontal ? "right" : "top", color: "#475467", fontSize: 11 },
        emphasis: { itemStyle: { color: "#f79009" } },
      }],
    }, true);
    chart(id).off("click");
    chart(id).on("click", (e) => {
      const row = top.find((r) => r.name === e.name);
      if (!row || !row.key || row.key === "未派单") return;
      drill({ [key]: row.key }, `${title}：${row.name}`);
    });
  }

  function drawPie(channels, types) {
    const ring = (name, rows, center) => ({
      name, type: "pie", radius: ["34%", "70%"], center, data: rows.map((r) => ({ name: r.name, value: r.count, key: r.key })),
      label: { position: "inside", formatter: (p) => (p.percent >= 8 ? `${p.name}\n${Math.round(p.percent)}%` : ""), fontSize: 11, color: "#fff", lineHeight: 14 },
      itemStyle: { borderColor: "#fff", borderWidth: 2 },
    });
    chart("c-pie").setOption({
      ...base(),
      tooltip: { trigger: "item", formatter: "{a}<br>{b}：{c} 件（{d}%）", confine: true },
      title: [
        { text: "渠道", left: "25%", top: "40%", textAlign: "center", textStyle: { fontSize: 13, color: "#667085", fontWeight: 500 } },
        { text: "类型", left: "75%", top: "40%", textAlign: "center", textStyle: { fontSize: 13, color: "#667085", fontWeight: 500 } },
      ],
      legend: { bottom: 0, itemWidth: 10, itemHeight: 10, textStyle: { fontSize: 11 }, type: "scroll" },
      series: [ring("受理渠道", channels, ["25%", "44%"]), ring("诉求类型", types, ["75%", "44%"])],
    }, true);
    chart("c-pie").off("click");
    chart("c-pie").on("click", (e) => {
      const key = e.data?.key;
      if (!key) return;
      drill(e.seriesIndex === 0 ? { channel: key } : { type: key }, `${e.seriesName}：${e.name}`);
    });
  }

  // -- figures ------------------------------------------------------------------------------------
  function arrow(change) {
    if (change === null || change === undefined) return '<span class="faint">新增</span>';
    const up = change > 0;
    if (Math.abs(change) < 0.005) return '<span class="muted">持平</span>';
    return `<span class="${up ? "up" : "down"}">${up ? "▲" : "▼"} ${pct(Math.abs(change))}</span>`;
  }

  async function loadSummary() {
    const s = await api("GET", `${BASE}/summary?${query()}`);
    $("#t-cases").textContent = num(s.total);
    $("#t-replied").textContent = num(s.replied);
    $("#t-replied-rate").textContent = s.total ? `答复率 ${pct(s.replied / s.total, 1)}` : "";
    $("#t-ontime").textContent = pct(s.on_time_rate, 1);
    $("#t-sat").textContent = pct(s.satisfaction, 1);
    $("#t-rated").textContent = `已评价 ${num(s.rated)} 件`;
    $("#t-bad").textContent = num(s.bad);
    $("#t-returns").textContent = num(s.returns);
    const thisWeek = s.week_on_week.reduce((a, r) => a + r.this_week, 0);
    const lastWeek = s.week_on_week.reduce((a, r) => a + r.last_week, 0);
    $("#t-wow").innerHTML = `近7天 ${num(thisWeek)} 件，周环比 ${arrow(lastWeek ? (thisWeek - lastWeek) / lastWeek : null)}`;
    $("#range").textContent = `统计时段 ${s.window.start} 至 ${s.window.end}（按受理时间）` +
      (filters.code ? ` · 分类 ${$("#f-code").selectedOptions[0]?.text || filters.code}` : "") +
      (filters.region ? ` · 区域 ${filters.region}` : "") +
      (filters.unit ? ` · 承办单位 ${$("#f-unit").selectedOptions[0]?.text || filters.unit}` : "") +
      (s.as_of ? ` · 数据统计于 ${s.as_of.slice(11, 16)}（每 5 分钟更新）` : "");
    drawTrend(s.by_day);
    drawBars("c-code", s.by_code, "code", true, "分类");
    drawBars("c-region", s.by_region, "region", false, "区域");
    drawPie(s.by_channel, s.by_type);
    $("#wow-rows").innerHTML = s.week_on_week.slice(0, 8).map((r) => `<tr>
      <td>${esc(r.name)} <span class="faint mono small">${esc(r.code)}</span></td><td class="num">${r.this_week}</td>
      <td class="num">${r.last_week}</td><td class="num">${arrow(r.change)}</td></tr>`).join("")
      || '<tr><td colspan="4" class="empty">近两周没有工单</td></tr>';
  }

  function pctCell(x, good = 0.9, fair = 0.75) {
    if (x === null || x === undefined) return '<span class="faint">—</span>';
    const cls = x >= good ? "" : x >= fair ? "mid" : "low";
    return `<div class="pct ${cls}"><span>${pct(x)}</span><span class="bar"><i style="width:${Math.round(x * 100)}%"></i></span></div>`;
  }

  async function loadUnits() {
    const rows = await api("GET", `${BASE}/units?${query()}`);
    $("#fig-note").textContent = `${rows.length} 个承办单位 · 点击单位名称筛选`;
    $("#fig-rows").innerHTML = rows.length ? rows.map((r) => `<tr>
      <td><a href="#" data-unit="${esc(r.unit_id)}">${esc(r.unit)}</a><div class="small faint">${esc(r.region)} · <span class="mono">${esc(r.unit_id)}</span></div></td>
      <td class="num">${r.cases}</td><td class="num">${r.replied}</td><td class="num">${pctCell(r.on_time_rate)}</td>
      <td class="num">${r.median_days === null ? '<span class="faint">—</span>' : `${r.median_days} 天`}</td>
      <td class="num">${r.returns || '<span class="faint">0</span>'}</td><td class="num">${r.rated}</td>
      <td class="num">${pctCell(r.satisfaction, 0.85, 0.7)}</td>
      <td class="num">${r.bad ? `<span class="badge redsoft">${r.bad}</span>` : '<span class="faint">0</span>'}</td>
      <td class="num">${r.rectifying ? `<span class="badge violet">${r.rectifying}</span>` : '<span class="faint">0</span>'}</td></tr>`).join("")
      : '<tr><td colspan="10" class="empty">所选条件下没有派单</td></tr>';
    const open = rows.reduce((a, r) => a + r.rectifying, 0);
    $("#t-rect").textContent = `整改中 ${num(open)} 件`;
  }

  let topicList = [];
  async function loadTopics() {
    $("#topics").innerHTML = '<li class="empty"><span class="spinner"></span> 正在归并同类诉求…</li>';
    const data = await api("GET", `${BASE}/topics?top=8&${query()}`);
    topicList = data.topics;
    $("#topics-note").textContent = `基于 ${num(data.cases)} 件工单${data.limited ? "（时段内最新 10 万件）" : ""}` +
      `${data.unindexed ? `，另有 ${num(data.unindexed)} 件待后台分析` : ""}` +
      `${data.as_of ? ` · ${data.as_of.slice(11, 16)} 统计` : ""} · 点击查看工单`;
    const most = Math.max(1, ...topicList.map((t) => t.heat));
    $("#topics").innerHTML = topicList.length ? topicList.map((t, i) => `<li data-topic="${i}" tabindex="0">
      <span class="rank r${t.rank}">${t.rank}</span>
      <div class="grow"><div class="t">${esc(t.label)}${t.place ? ` <span class="badge blue">${esc(t.place)}</span>` : ""}</div>
        <div class="small muted clip" style="max-width:100%">${esc(t.description)}</div>
        <div class="small faint">${esc(fmt(t.start))} 至 ${esc(fmt(t.end))} · ${t.count} 件 · ${t.citizens} 位来电人 · ${t.growth > 0 ? "上升" : t.growth < 0 ? "回落" : "持平"}</div></div>
      <div class="heat"><b>${t.heat}</b><span class="bar"><i style="width:${Math.round((t.heat / most) * 100)}%"></i></span></div></li>`).join("")
      : '<li class="empty">所选条件下没有 2 件以上的同类诉求</li>';
  }

  async function loadSpikes() {
    const data = await api("GET", `${BASE}/spikes?${query()}`);
    const all = [...data.codes.map((s) => ({ ...s, kind: "code" })), ...data.regions.map((s) => ({ ...s, kind: "region" }))]
      .sort((a, b) => b.score - a.score).slice(0, 6);
    $("#spikes").innerHTML = all.length ? all.map((s, i) => `<div class="spike" data-spike="${i}" tabindex="0">
      <span class="badge ${s.kind === "code" ? "orange" : "violet"}">${s.kind === "code" ? "分类" : "区域"}</span>
      <div><b>${esc(s.name)}</b> <span class="small muted">${esc(s.day)} · ${s.count} 件</span><div class="small muted">${esc(s.reason)}</div></div></div>`).join("")
      : '<div class="calm">✓ 所选时段内没有异常突增（单日量超过平时 2 倍且显著）</div>';
    $("#spikes").onclick = (e) => {
      const el = e.target.closest("[data-spike]");
      if (!el) return;
      const s = all[Number(el.dataset.spike)];
      drill({ start: s.day, end: s.day, [s.kind]: s.key }, `${s.day} ${s.name} 突增`);
    };
  }

  function reload() {
    const q = query();
    $("#export-csv").href = `${BASE}/export.csv?${q}`;
    $("#export-xlsx").href = `${BASE}/export.xlsx?${q}`;
    for (const load of [loadSummary, loadUnits, loadTopics, loadSpikes]) load().catch(() => {});
  }

  // -- drill-down ---------------------------------------------------------------------------------
  const drillState = { params: {}, page: 1, size: 12 };
  function drill(params, title) {
    drillState.params = params;
    drillState.page = 1;
    $("#drill-title").textContent = title;
    $("#drill").classList.remove("hidden");
    loadDrill().catch(() => {});
  }
  async function loadDrill() {
    const { params, page, size } = drillState;
    $("#drill-rows").innerHTML = '<tr><td colspan="6" class="empty"><span class="spinner"></span></td></tr>';
    const data = await api("GET", `${BASE}/cases?${query({ ...params, page, size })}`);
    const pages = Math.max(1, Math.ceil(data.total / size));
    $("#drill-info").textContent = `共 ${num(data.total)} 件 · 第 ${page} / ${pages} 页`;
    $("#drill-prev").disabled = page <= 1;
    $("#drill-next").disabled = page >= pages;
    $("#drill-rows").innerHTML = data.items.length ? data.items.map((c) => `<tr>
      <td class="mono small">${esc(c.number)}</td><td class="small" style="white-space:nowrap">${esc(fmt(c.received_at))}</td>
      <td><div style="font-weight:500">${esc(c.title || "（无标题）")}</div><div class="clip small muted" style="max-width:440px">${esc(c.body)}</div></td>
      <td class="small">${esc(c.code_name || "—")}</td><td class="small">${esc(c.lead_unit || "—")}</td>
      <td style="white-space:nowrap"><span class="badge s-${esc(c.state)}">${esc(c.state_label)}</span>${c.on_time === false ? ' <span class="badge redsoft">超时答复</span>' : ""}</td></tr>`).join("")
      : '<tr><td colspan="6" class="empty">没有工单</td></tr>';
  }
  const closeDrill = () => $("#drill").classList.add("hidden");
  $("#drill-close").addEventListener("click", closeDrill);
  $("#drill").addEventListener("click", (e) => { if (e.target.id === "drill") closeDrill(); });
  document.addEventListener("keydown", (e) => { if (e.key === "Escape") closeDrill(); });
  $("#drill-prev").addEventListener("click", () => { drillState.page--; loadDrill().catch(() => {}); });
  $("#drill-next").addEventListener("click", () => { drillState.page++; loadDrill().catch(() => {}); });
  $("#topics").addEventListener("click", (e) => {
    const el = e.target.closest("[data-topic]");
    if (!el) return;
    const t = topicList[Number(el.dataset.topic)];
    drill({ numbers: t.numbers.join(",") }, `热点：${t.label}`);
  });

  // -- filters ------------------------------------------------------------------------------------
  async function loadOptions() {
    const [codes, units] = await Promise.all([api("GET", "/api/v1/codes?level=1"), api("GET", "/api/v1/units")]);
    $("#f-code").insertAdjacentHTML("beforeend", codes.map((c) => `<option value="${esc(c.code)}">${esc(c.code)} ${esc(c.name)}</option>`).join(""));
    const districts = [...new Set(units.filter((u) => u.level === "district").map((u) => u.region))];
    city = units.find((u) => u.level === "city")?.region || "";
    $("#f-region").insertAdjacentHTML("beforeend",
      (city ? `<option value="${esc(city)}">市级单位（${esc(city)}）</option>` : "") +
      districts.map((d) => `<option value="${esc(d)}">${esc(d)}</option>`).join(""));
    units.sort((a, b) => a.name.localeCompare(b.name, "zh-CN"));
    $("#f-unit").insertAdjacentHTML("beforeend", units.map((u) => `<option value="${esc(u.id)}">${esc(u.name)}</option>`).join(""));
  }
  function syncForm() {
    $("#f-start").value = filters.start;
    $("#f-end").value = filters.end;
    $("#f-code").value = filters.code;
    $("#f-region").value = filters.region;
    $("#f-unit").value = filters.unit;
    const span = Math.round((new Date(filters.end) - new Date(filters.start)) / 86400000) + 1;
    document.querySelectorAll("#quick button").forEach((b) => b.classList.toggle("on", filters.end === today && Number(b.dataset.days) === span));
  }
  $("#filters").addEventListener("change", (e) => {
    if (!e.target.name) return;
    filters[e.target.name] = e.target.value;
    if (filters.start && filters.end && filters.start > filters.end) {
      H.toast("起始日期不能晚于结束日期");
      return;
    }
    syncForm();
    reload();
  });
  $("#quick").addEventListener("click", (e) => {
    const days = Number(e.target.dataset.days);
    if (!days) return;
    filters.end = today;
    filters.start = shift(today, 1 - days);
    syncForm();
    reload();
  });
  $("#f-reset").addEventListener("click", () => {
    Object.assign(filters, { start: shift(today, -29), end: today, code: "", region: "", unit: "" });
    syncForm();
    reload();
  });
  $("#fig-rows").addEventListener("click", (e) => {
    const a = e.target.closest("[data-unit]");
    if (!a) return;
    e.preventDefault();
    filters.unit = a.dataset.unit;
    syncForm();
    reload();
    $(".workspace").scrollTo({ top: 0, behavior: "smooth" });
  });

  // -- latest cases (all staff case search; masked for analysts by the API) ------------------------
  let page = 1;
  const SIZE = 10;
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
  $("#state").addEventListener("change", () => { page = 1; loadCases(); });
  $("#q").addEventListener("input", H.debounce(() => { page = 1; loadCases(); }, 350));
  $("#prev").addEventListener("click", () => { page--; loadCases(); });
  $("#next").addEventListener("click", () => { page++; loadCases(); });

  syncForm();
  loadOptions().then(syncForm).catch(() => {});
  reload();
  loadCases().catch(() => {});
})();
