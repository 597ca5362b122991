/* 管理: knowledge-base entries (search, edit, add, delete), the code standard, the unit
   directory and staff accounts. */
"use strict";
(() => {
  const { api, esc, $, $$, toast } = H;
  const ROLES = { agent: "坐席", supervisor: "值班长", unit: "承办单位", analyst: "分析员", admin: "管理员" };
  const LEVEL = { city: "市级", district: "区级", street: "街道/乡镇", company: "公共企业" };
  const loaded = {};
  let units = [];
  const me = document.querySelector(".me")?.dataset.username;

  $$("#tabs button").forEach((b) => b.addEventListener("click", () => show(b.dataset.tab)));
  function show(tab) {
    $$("#tabs button").forEach((b) => b.classList.toggle("on", b.dataset.tab === tab));
    $$("[data-pane]").forEach((p) => p.classList.toggle("hidden", p.dataset.pane !== tab));
    if (!loaded[tab]) { loaded[tab] = true; ({ kb: loadKb, codes: loadCodes, units: loadUnits, users: loadUsers })[tab](); }
  }

  // -- knowledge base ------------------------------------------------------------------------
  let kbPage = 1;
  let kbItems = [];
  const SIZE = 20;
  async function loadKb() {
    const q = $("#kb-q").value.trim();
    const data = await api("GET", `/api/v1/kb/entries?size=${SIZE}&page=${kbPage}${q ? `&q=${encodeURIComponent(q)}` : ""}`);
    kbItems = data.items;
    $("#kb-total").textContent = `${data.total} 条`;
    const pages = Math.max(1, Math.ceil(data.total / SIZE));
    $("#kb-page").textContent = `第 ${kbPage} / ${pages} 页`;
    $("#kb-prev").disabled = kbPage <= 1;
    $("#kb-next").disabled = kbPage >= pages;
    const today = new Date(H.now()).toISOString().slice(0, 10);
    $("#kb-rows").innerHTML = kbItems.length ? kbItems.map((e, i) => `<tr>
      <td class="mono small">${esc(e.id)}</td>
      <td style="max-width:260px"><b style="font-weight:500">${esc(e.question)}</b>${e.similar_questions.length ? `<div class="small faint">另有 ${e.similar_questions.length} 种问法</div>` : ""}</td>
      <td><div class="clip small muted" style="max-width:300px">${esc(e.answer)}</div></td>
      <td class="mono small">${esc(e.code || "—")}</td>
      <td class="small"><div class="clip" style="max-width:170px">${esc(e.source || "—")}</div></td>
      <td class="small">${e.valid_to ? `<span class="${e.valid_to < today ? "badge redsoft" : ""}">${esc(e.valid_to)}${e.valid_to < today ? " 已过期" : ""}</span>` : '<span class="faint">长期</span>'}</td>
      <td class="num small">v${e.version}</td>
      <td style="white-space:nowrap"><button class="btn sm" type="button" data-edit="${i}">编辑</button>
        <button class="btn sm danger" type="button" data-del="${i}">删除</button></td></tr>`).join("")
      : '<tr><td colspan="8" class="empty">没有找到条目</td></tr>';
    $$("[data-edit]").forEach((b) => b.addEventListener("click", () => edit(kbItems[Number(b.dataset.edit)])));
    $$("[data-del]").forEach((b) => b.addEventListener("click", () => remove(kbItems[Number(b.dataset.del)])));
  }
  $("#kb-q").addEventListener("input", H.debounce(() => { kbPage = 1; loadKb(); }, 350));
  $("#kb-prev").addEventListener("click", () => { kbPage--; loadKb(); });
  $("#kb-next").addEventListener("click", () => { kbPage++; loadKb(); });

  const kbForm = $("#kb-form");
  function edit(entry) {
    kbForm.reset();
    $("#kb-modal-title").textContent = entry ? `编辑条目 ${entry.id}` : "新增条目";
    kbForm.id.readOnly = Boolean(entry);
    if (entry) {
      for (const k of ["id", "code", "question", "answer", "department", "source", "valid_from", "valid_to"]) kbForm[k].value = entry[k] || "";
      kbForm.similar_questions.value = entry.similar_questions.join("\n");
    }
    $("#kb-modal").classList.remove("hidden");
    (entry ? kbForm.question : kbForm.id).focus();
  }
  const closeModal = () => $("#kb-modal").classList.add("hidden");
  $("#kb-add").addEventListener("click", () => edit(null));
  $("#kb-cancel").addEventListener("click", closeModal);
  $("#kb-cancel-x").addEventListener("click", closeModal);
  kbForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const f = kbForm;
    const body = {
      question: f.question.value.trim(), answer: f.answer.value.trim(), code: f.code.value.trim(),
      department: f.department.value.trim(), source: f.source.value.trim(),
      similar_questions: f.similar_questions.value.split("\n").map((s) => s.trim()).filter(Boolean),
      valid_from: f.valid_from.value || null, valid_to: f.valid_to.value || null,
    };
    try {
      const out = await api("PUT", `/api/v1/kb/entries/${encodeURIComponent(f.id.value.trim())}`, body);
      toast(`${out.added ? "已新增" : "已更新"}条目 ${out.id}（知识库共 ${out.entries} 条）`, "ok");
      closeModal();
      loadKb();
    } catch { /* shown */ }
  });
  async function remove(entry) {
    if (!confirm(`确定删除条目 ${entry.id}「${entry.question}」？删除后智能客服将不再使用该答案。`)) return;
    try {
      await api("DELETE", `/api/v1/kb/entries/${encodeURIComponent(entry.id)}`);
      toast(`已删除条目 ${entry.id}`, "ok");
      loadKb();
    } catch { /* shown */ }
  }

  // -- codes ---------------------------------------------------------------------------------
  let codes = [];
  async function loadCodes() {
    const level = $("#codes-level").value;
    codes = await api("GET", `/api/v1/codes${level ? `?level=${level}` : ""}`);
    codes.sort((a, b) => a.code.localeCompare(b.code));
    renderCodes();
  }
  function renderCodes() {
    const q = $("#codes-q").value.trim();
    const rows = q ? codes.filter((c) => c.code.startsWith(q) || c.name.includes(q)) : codes;
    $("#codes-total").textContent = `${rows.length} 项`;
    $("#codes-rows").innerHTML = rows.map((c) => `<tr><td class="mono" style="padding-left:${12 + (c.level - 1) * 16}px">${esc(c.code)}</td>
      <td style="${c.level === 1 ? "font-weight:600" : ""}">${esc(c.name)}</td><td>${["", "一级", "二级", "三级"][c.level]}</td><td class="mono faint">${esc(c.parent || "—")}</td></tr>`).join("");
  }
  $("#codes-level").addEventListener("change", loadCodes);
  $("#codes-q").addEventListener("input", H.debounce(renderCodes, 200));

  // -- units ---------------------------------------------------------------------------------
  async function getUnits() {
    if (!units.length) units = await api("GET", "/api/v1/units");
    return units;
  }
  async function loadUnits() { await getUnits(); renderUnits(); }
  function renderUnits() {
    const q = $("#units-q").value.trim();
    const rows = q ? units.filter((u) => [u.id, u.name, u.kind, u.region].some((x) => x.includes(q))) : units;
    $("#units-total").textContent = `${rows.length} 个`;
    $("#units-rows").innerHTML = rows.map((u) => `<tr><td class="mono small">${esc(u.id)}</td><td>${esc(u.name)}</td>
      <td>${esc(u.kind)}</td><td><span class="badge">${esc(LEVEL[u.level] || u.level)}</span></td><td>${esc(u.region)}</td><td class="mono small">${esc(u.phone)}</td></tr>`).join("");
  }
  $("#units-q").addEventListener("input", H.debounce(renderUnits, 200));

  // -- users ---------------------------------------------------------------------------------
  async function loadUsers() {
    const [users, list] = await Promise.all([api("GET", "/api/v1/users"), getUnits()]);
    const name = Object.fromEntries(list.map((u) => [u.id, u.name]));
    $("#users-total").textContent = `${users.length} 个`;
    $("#users-rows").innerHTML = users.map((u) => `<tr>
      <td class="mono">${esc(u.username)}</td><td>${esc(u.display_name)}</td><td><span class="badge blue">${esc(ROLES[u.role] || u.role)}</span></td>
      <td class="small">${u.unit_id ? esc(name[u.unit_id] || u.unit_id) : '<span class="faint">—</span>'}</td>
      <td>${u.active ? '<span class="badge green">启用</span>' : '<span class="badge">已停用</span>'}</td>
      <td>${u.username === me ? '<span class="small faint">当前账号</span>' : `<button class="btn sm ${u.active ? "danger" : ""}" type="button" data-user="${u.id}" data-active="${u.active}">${u.active ? "停用" : "启用"}</button>`}</td></tr>`).join("");
    $$("[data-user]").forEach((b) => b.addEventListener("click", async () => {
      try {
        await api("PATCH", `/api/v1/users/${b.dataset.user}`, { active: b.dataset.active !== "true" });
        toast("账号状态已更新", "ok");
        loadUsers();
      } catch { /* shown */ }
    }));
    $("#user-form").unit_id.innerHTML = list.map((u) => `<option value="${esc(u.id)}">${esc(u.name)}</option>`).join("");
  }
  const userForm = $("#user-form");
  userForm.role.addEventListener("change", () => $("#unit-field").classList.toggle("hidden", userForm.role.value !== "unit"));
  userForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const f = userForm;
    const body = { username: f.username.value.trim(), display_name: f.display_name.value.trim(), role: f.role.value,
      password: f.password.value, unit_id: f.role.value === "unit" ? f.unit_id.value : null };
    try {
      await api("POST", "/api/v1/users", body);
      toast(`已创建账号 ${body.username}`, "ok");
      f.reset();
      $("#unit-field").classList.add("hidden");
      loadUsers();
    } catch { /* shown */ }
  });

  show("kb");
})();
