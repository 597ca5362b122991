/* 坐席工作台: queues (chats, cases to dispatch, supervision, rectification), a new case with
   live suggestions, a case with its actions and audit log, and chats taken over from the bot. */
"use strict";
(() => {
  const { api, esc, $, $$, toast, fmt } = H;
  const root = $("#console");
  const ROLE = root.dataset.role;
  const ME = root.dataset.name;
  const IS_AGENT = ROLE === "agent";
  const IS_LEAD = ROLE === "supervisor";
  const OPEN_TASKS = ["待核实", "整改中", "申诉待审核"];
  const REASONS = { low_score: "智能客服无把握", ambiguous: "问题有歧义", expired: "政策已更新",
    empty: "知识库无答案", asked_for_person: "来电人要求转人工", emergency: "紧急情况" };

  let tab = IS_LEAD ? "supervision" : "chats";
  let units = [];
  let current = null; // the open case
  let chat = null; // the open chat's view
  let chatTimer = null;
  const lists = { chats: [], mine: [], received: [], supervision: [], rect: [], search: [] };
  let searchTerm = "";
  let hints = null; // suggestions for the new case
  let caseHints = null; // suggestions for the open case
  let suggestSeq = 0;
  const picked = { urgency: false, code: false, unit: false };
  const accessCodes = {}; // number -> access code, for cases made on this page

  // -- views ---------------------------------------------------------------------------------
  function setView(name, titleHtml) {
    $("#view-new").classList.toggle("hidden", name !== "new");
    $("#new-foot").classList.toggle("hidden", name !== "new");
    $("#view-case").classList.toggle("hidden", name !== "case");
    $("#view-chat").classList.toggle("hidden", name !== "chat");
    $("#center-title").innerHTML = titleHtml;
    if (name !== "chat" && chatTimer) { clearInterval(chatTimer); chatTimer = null; chat = null; }
    if (name !== "case") current = null;
    markQueue();
  }

  function showNew() {
    if (!IS_AGENT) {
      setView("case", "<h2>工单处理</h2>");
      $("#view-case").innerHTML = '<div class="placeholder"><div class="big">☰</div>请从左侧队列选择要审核或督办的工单。<br>值班长可审核退回与延期申请、督办超期工单、审核差评申诉。</div>';
      side("办理记录", '<div class="placeholder">选择工单后显示其办理记录</div>');
      return;
    }
    setView("new", "<h2>新建工单</h2>");
    if (hints) renderSuggestions(hints, "new");
    else side("智能辅助", '<div class="placeholder"><div class="big">✦</div>在中间录入诉求内容，这里会实时给出<br>分类、紧急程度、建议承办单位、<br>知识库答复、相似工单与重复件提示。</div>');
  }

  function side(title, html) {
    $("#side-title").textContent = title;
    $("#side").innerHTML = html;
  }

  // -- queues --------------------------------------------------------------------------------
  async function scanRectifications() {
    const found = [];
    for (let page = 1; page <= 10; page++) {
      const data = await api("GET", `/api/v1/cases?size=100&page=${page}`, undefined, { quiet: true });
      found.push(...data.items.filter((c) => OPEN_TASKS.includes(c.rectification)));
      if (page * 100 >= data.total) break;
    }
    return found;
  }

  async function loadQueues(all = true) {
    const jobs = [
      api("GET", "/api/v1/chats", undefined, { quiet: true }).then((x) => { lists.chats = x; }),
      api("GET", "/api/v1/chats?state=agent", undefined, { quiet: true }).then((x) => {
        lists.mine = x.filter((c) => c.agent === ME);
      }),
      api("GET", "/api/v1/cases?state=received&size=100", undefined, { quiet: true }).then((x) => {
        lists.received = x.items;
        $("#n-received").textContent = x.total;
      }),
      api("GET", "/api/v1/supervision", undefined, { quiet: true }).then((x) => {
        lists.supervision = x.sort((a, b) => (b.state === "return_requested") - (a.state === "return_requested")
          || b.overdue - a.overdue);
      }),
    ];
    if (all) jobs.push(scanRectifications().then((x) => { lists.rect = x; }));
    await Promise.allSettled(jobs);
    $("#n-chats").textContent = lists.chats.length + lists.mine.length;
    $("#n-chats").classList.toggle("hot", lists.chats.length > 0);
    $("#n-supervision").textContent = lists.supervision.length;
    $("#n-rect").textContent = lists.rect.length;
    renderQueue();
  }

  function caseItem(c) {
    return `<button type="button" class="qitem ${c.overdue ? "late" : ""}" data-case="${esc(c.number)}">
      <div class="t">${esc(c.title || c.body.slice(0, 24))}</div>
      <div class="m"><span class="mono">${esc(c.number)}</span>${H.stateBadge(c)}${H.urgencyBadge(c.urgency)}
        ${c.overdue ? '<span class="badge red">超期</span>' : ""}${c.escalated ? '<span class="badge redsoft">督办</span>' : ""}
        ${c.extension_asked ? `<span class="badge orange">延期 ${c.extension_asked} 天</span>` : ""}
        ${c.rectification ? `<span class="badge violet">${esc(c.rectification)}</span>` : ""}</div>
      <div class="m">${c.lead_unit ? esc(c.lead_unit) : `受理 ${esc(fmt(c.received_at))}`} ${H.dueHtml(c)}</div>
    </button>`;
  }

  function chatItem(c) {
    const reason = REASONS[c.handoff_reason] || c.handoff_reason || "";
    return `<button type="button" class="qitem" data-chat="${c.chat_id}">
      <div class="t">会话 #${c.chat_id}　${esc(c.last_message || "（尚无留言）")}</div>
      <div class="m">${c.state === "agent" ? '<span class="badge green">我正在接待</span>' : '<span class="badge orange">等待接入</span>'}
        ${reason ? `<span>${esc(reason)}</span>` : ""}<span>${esc(fmt(c.waiting_since))}</span></div>
    </button>`;
  }

  function renderQueue() {
    const q = $("#queue");
    let html = "";
    if (tab === "chats") {
      if (lists.mine.length) html += `<div class="sg" style="padding:8px 14px"><h3 style="margin:0">我的会话</h3></div>${lists.mine.map(chatItem).join("")}`;
      html += `<div class="sg" style="padding:8px 14px"><h3 style="margin:0">待接入会话（${lists.chats.length}）</h3></div>`;
      html += lists.chats.length ? lists.chats.map(chatItem).join("") : '<div class="empty">暂无等待人工的会话</div>';
    } else if (tab === "search") {
      html = `<div class="sg row between" style="padding:8px 14px"><h3 style="margin:0">「${esc(searchTerm)}」的搜索结果（${lists.search.length}）</h3>
        <button class="btn sm ghost" type="button" id="clear-search">清除</button></div>`;
      html += lists.search.length ? lists.search.map(caseItem).join("") : '<div class="empty">没有找到工单</div>';
    } else {
      const items = lists[tab];
      const empty = { received: "没有待派单的工单", supervision: "没有待审核或督办的工单", rect: "没有进行中的整改" }[tab];
      html = items.length ? items.map(caseItem).join("") : `<div class="empty">${empty}</div>`;
    }
    q.innerHTML = html;
    $$("[data-case]", q).forEach((b) => b.addEventListener("click", () => openCase(b.dataset.case)));
    $$("[data-chat]", q).forEach((b) => b.addEventListener("click", () => openChat(Number(b.dataset.chat))));
    $("#clear-search")?.addEventListener("click", () => { $("#search").value = ""; selectTab(IS_LEAD ? "supervision" : "received"); });
    markQueue();
  }

  function markQueue() {
    $$("#queue .qitem").forEach((b) => b.classList.toggle("on",
      (current && b.dataset.case === current.number) || (chat && Number(b.dataset.chat) === chat.chat_id)));
  }

  function selectTab(name) {
    tab = name;
    $$("#tabs button").forEach((b) => b.classList.toggle("on", b.dataset.tab === name));
    renderQueue();
    if (name === "rect") scanRectifications().then((x) => { lists.rect = x; $("#n-rect").textContent = x.length; renderQueue(); }).catch(() => {});
  }

  $$("#tabs button").forEach((b) => b.addEventListener("click", () => selectTab(b.dataset.tab)));
  $("#search").addEventListener("keydown", async (ev) => {
    if (ev.key !== "Enter") return;
    searchTerm = ev.target.value.trim();
    if (!searchTerm) return;
    const data = await api("GET", `/api/v1/cases?size=50&q=${encodeURIComponent(searchTerm)}`);
    lists.search = data.items;
    tab = "search";
    $$("#tabs button").forEach((b) => b.classList.remove("on"));
    renderQueue();
  });
  $("#refresh").addEventListener("click", () => loadQueues(true));
  $("#to-new").addEventListener("click", showNew);
  if (!IS_AGENT) $("#to-new").classList.add("hidden");

  // -- suggestions ---------------------------------------------------------------------------
  function confBars(s, mode) {
    const code = mode === "new" ? $("#new-case").code.value : $("#dispatch-code")?.value || current?.code;
    return s.top3.map((g, i) => `<div class="conf ${i === 0 ? "first" : ""} ${g.code === code ? "picked" : ""}" data-code="${esc(g.code)}" title="点击采纳该分类">
      <div class="lbl"><span><span class="mono faint">${esc(g.code)}</span> ${esc(g.name)}</span><span>${Math.round(g.confidence * 100)}%</span></div>
      <div class="bar"><i style="width:${Math.max(2, Math.round(g.confidence * 100))}%"></i></div></div>`).join("");
  }

  function renderSuggestions(s, mode) {
    const u = s.unit;
    const urgent = s.urgency !== "normal";
    const html = [];
    html.push(`<div class="sg"><h3>诉求分类 · 前三${s.needs_person ? ' <span class="badge orange" style="margin-left:4px">置信度低，请人工确认</span>' : ""}</h3>${confBars(s, mode)}
      <div class="small faint">完整路径：${esc(s.code.name)}</div></div>`);
    html.push(`<div class="sg"><h3>类型与紧急程度</h3>
      <div class="row wrap"><span class="badge blue">${esc(s.appeal_type)}</span><span class="badge u-${esc(s.urgency)}">${esc(H.URGENCY[s.urgency] || s.urgency)}</span></div>
      <div class="reason">类型：${esc(s.type_reason)}</div>
      <div class="reason" style="${urgent ? "color:var(--danger)" : ""}">紧急程度：${esc(s.urgency_reason)}</div>
      ${s.transfer_to ? `<div class="banner error" style="margin-top:8px">请立即转 ${esc(s.transfer_to)}，并同时受理</div>` : ""}</div>`);
    html.push(`<div class="sg"><h3>建议承办单位</h3><div class="unit-guess">
      <div class="name" id="suggested-unit">${esc(u.unit_name || "无法确定，请人工选择")}</div>
      <div class="small muted">${esc(u.kind)}${u.unit_id ? ` · ${esc(u.unit_id)}` : ""}${u.assisting.length ? ` · 协办：${esc(u.assisting.join("、"))}` : ""}</div>
      <div class="reason" id="suggested-reason">${esc(u.reason)}</div></div></div>`);
    if (s.duplicate) {
      html.push(`<div class="sg"><h3>疑似重复件</h3><div class="dup">
        <div class="title">与 ${esc(s.duplicate.number)} 可能是同一诉求</div>
        <div class="small">${esc(s.duplicate.title)} · ${esc(s.duplicate.state)} · 相近度 ${Math.round(s.duplicate.similarity * 100)}%</div>
        <div class="reason">${esc(s.duplicate.reason)}</div>
        <div class="row" style="margin-top:8px"><button class="btn sm warn" type="button" id="merge-dup">合并到 ${esc(s.duplicate.number)}</button>
        <button class="btn sm ghost" type="button" data-open="${esc(s.duplicate.number)}">查看</button></div></div></div>`);
    }
    html.push(`<div class="sg"><h3>知识库答复（${s.faq.length}）</h3>${s.faq.length ? s.faq.map((f, i) => `
      <div class="faq"><div class="q">${esc(f.question)}</div><div class="a">${esc(f.answer)}</div>
      <div class="f"><span>来源：${esc(f.source || "知识库")} · 相关度 ${Math.round(f.relevance * 100)}%</span>
      ${IS_AGENT && (mode === "new" || current?.state === "received") ? `<button class="btn sm" type="button" data-faq="${i}">答复</button>` : ""}</div></div>`).join("") : '<div class="small faint">没有可用的知识库答案</div>'}</div>`);
    const similar = s.similar.filter((x) => !s.duplicate || x.number !== s.duplicate.number);
    html.push(`<div class="sg"><h3>相似工单（${similar.length}）</h3>${similar.length ? similar.map((x) => `
      <div class="sim" title="${esc(x.reason)}"><span class="n mono" data-open="${esc(x.number)}">${esc(x.number.slice(-6))}</span>
      <span class="grow clip" style="max-width:170px">${esc(x.title)}</span><span class="badge">${esc(x.state)}</span>
      <span class="faint">${Math.round(x.similarity * 100)}%</span></div>`).join("") : '<div class="small faint">没有相似的历史工单</div>'}</div>`);
    side(mode === "new" ? "智能辅助" : "智能辅助 · 本工单", html.join(""));

    const box = $("#side");
    $$("[data-code]", box).forEach((el) => el.addEventListener("click", () => {
      if (mode === "new") {
        $("#new-case").code.value = el.dataset.code;
        picked.code = true;
      } else if ($("#dispatch-code")) {
        $("#dispatch-code").value = el.dataset.code;
      } else return;
      renderSuggestions(s, mode);
    }));
    $$("[data-open]", box).forEach((el) => el.addEventListener("click", () => openCase(el.dataset.open)));
    $$("[data-faq]", box).forEach((el) => el.addEventListener("click", () => {
      const faq = s.faq[Number(el.dataset.faq)];
      const text = `${faq.answer}（来源：${faq.source || "知识库"}）`;
      if (mode === "new") createThen("answer", { text });
      else caseAction("answer", { text });
    }));
    $("#merge-dup")?.addEventListener("click", () => {
      const body = { master: s.duplicate.number, note: `与 ${s.duplicate.number} 重复：${s.duplicate.reason}` };
      if (mode === "new") createThen("merge", body);
      else caseAction("merge", body);
    });
  }

  async function suggestFor(title, body, number) {
    const seq = ++suggestSeq;
    $("#side-spin").classList.remove("hidden");
    try {
      const s = await api("POST", "/api/v1/suggest", { title, body, number }, { quiet: true });
      return seq === suggestSeq ? s : null;
    } catch (e) {
      if (seq === suggestSeq) toast(e.detail);
      return null;
    } finally {
      if (seq === suggestSeq) $("#side-spin").classList.add("hidden");
    }
  }

  // -- the new case --------------------------------------------------------------------------
  const form = $("#new-case");

  async function onType() {
    const title = form.title.value.trim();
    const body = form.body.value.trim();
    if (body.length < 4) { $("#new-status").textContent = "录入诉求内容后自动分析"; return; }
    $("#new-status").textContent = "正在分析……";
    api("POST", "/api/v1/text/analyze", { text: body }, { quiet: true }).then((a) => {
      $("#pii-wrap").classList.toggle("hidden", !a.personal_data.length);
      $("#pii-count").textContent = a.personal_data.length;
      $("#pii").innerHTML = H.markPii(a.normalized, a.personal_data);
    }).catch(() => {});
    const s = await suggestFor(title, body);
    if (!s) return;
    hints = s;
    if (!picked.urgency) form.urgency.value = s.urgency;
    if (!picked.code) form.code.value = s.code.code;
    if (!picked.unit && s.unit.unit_id) form.unit_id.value = s.unit.unit_id;
    $("#new-status").innerHTML = `已分析：${esc(s.code.name.split(" / ").pop())} · ${esc(s.unit.unit_name)}`;
    if (!$("#view-new").classList.contains("hidden")) renderSuggestions(s, "new");
  }
  const typed = H.debounce(onType, 400);
  form.title.addEventListener("input", typed);
  form.body.addEventListener("input", typed);
  form.urgency.addEventListener("change", () => { picked.urgency = true; });
  form.code.addEventListener("input", () => { picked.code = true; });
  form.unit_id.addEventListener("change", () => { picked.unit = true; });

  function collect() {
    const body = form.body.value.trim();
    if (!body) { toast("请填写诉求内容"); form.body.focus(); return null; }
    const c = {
      title: form.title.value.trim(), body,
      caller_name: form.caller_name.value.trim(), caller_phone: form.caller_phone.value.trim(),
      consent: form.consent.checked, channel: form.channel.value, urgency: form.urgency.value,
      code: form.code.value.trim(), appeal_type: hints?.appeal_type || "",
    };
    if ((c.caller_name || c.caller_phone) && !c.consent) {
      toast("留有姓名或电话时，须征得来电人同意（勾选同意）");
      return null;
    }
    return c;
  }

  let fromChat = null;  // the chat being turned into a case, if any

  async function create() {
    const data = collect();
    if (!data) return null;
    if (fromChat !== null) data.chat_id = fromChat;  // the caller sees the number in the chat
    const made = await api("POST", "/api/v1/cases", data);
    accessCodes[made.number] = made.access_code;
    toast(`工单 ${made.number} 已受理，查询码 ${made.access_code}（请告知来电人）`, "ok", 8000);
    return made.number;
  }

  function resetNew() {
    fromChat = null;
    form.reset();
    Object.keys(picked).forEach((k) => { picked[k] = false; });
    hints = null;
    $("#pii-wrap").classList.add("hidden");
    $("#answer-box").classList.add("hidden");
    $("#from-chat").classList.add("hidden");
    $("#new-status").textContent = "录入诉求内容后自动分析";
  }

  /** Save the new case, then take one action on it (answer, dispatch, merge). */
  async function createThen(action, body) {
    const buttons = $$("#new-foot button");
    buttons.forEach((b) => { b.disabled = true; });
    try {
      const number = await create();
      if (!number) return;
      resetNew();
      const c = await api("GET", `/api/v1/cases/${number}`);
      if (action) {
        await CaseKit.act(c, action, body, { root: $("#view-case"), reload: () => openCase(number) });
      }
      await openCase(number);
      loadQueues(false);
    } catch { /* toast shown */ } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  }

  $("#save").addEventListener("click", () => createThen(null));
  $("#answer").addEventListener("click", () => {
    $("#answer-box").classList.remove("hidden");
    const text = $("#answer-text");
    if (!text.value && hints?.faq.length) text.value = hints.faq[0].answer;
    text.focus();
  });
  $("#answer-cancel").addEventListener("click", () => $("#answer-box").classList.add("hidden"));
  $("#answer-confirm").addEventListener("click", () => {
    const text = $("#answer-text").value.trim();
    if (!text) { toast("请填写答复内容"); return; }
    createThen("answer", { text });
  });
  $("#dispatch-new").addEventListener("click", () => {
    const unit = form.unit_id.value || hints?.unit.unit_id;
    if (!unit) { toast("请选择承办单位（或等待系统给出建议）"); return; }
    const reason = hints && hints.unit.unit_id === unit ? hints.unit.reason : "坐席人工指定承办单位";
    createThen("dispatch", { unit_id: unit, note: reason });
  });

  // -- an open case --------------------------------------------------------------------------
  async function openCase(number) {
    let c;
    try { c = await api("GET", `/api/v1/cases/${encodeURIComponent(number)}`); } catch { return; }
    current = c;
    caseHints = null;
    setView("case", `<h2>工单详情</h2><span class="mono muted small">${esc(c.number)}</span>`);
    current = c;
    renderCase();
    if (c.state === "received" && IS_AGENT) {
      side("智能辅助 · 本工单", '<div class="placeholder"><span class="spinner"></span> 正在分析本工单……</div>');
      const s = await suggestFor(c.title, c.body, c.number);
      if (s && current && current.number === c.number) {
        caseHints = s;
        renderSuggestions(s, "case");
        fillDispatch();
      }
    } else {
      side("办理记录", CaseKit.timeline(c.events));
    }
  }

  function fillDispatch() {
    const guess = $("#dispatch-guess");
    if (!guess || !caseHints) return;
    const u = caseHints.unit;
    guess.innerHTML = `<div class="small muted">建议承办单位</div><div class="name">${esc(u.unit_name)}</div><div class="reason">${esc(u.reason)}</div>`;
    if (u.unit_id) $("#dispatch-unit").value = u.unit_id;
    if (!$("#dispatch-code").value) $("#dispatch-code").value = caseHints.code.code;
    $("#dispatch-note").value = u.reason;
  }

  function box(title, inner) {
    return `<div class="actions-box"><h3>${title}</h3>${inner}</div>`;
  }

  function actionsHtml(c) {
    const out = [];
    const task = c.rectification;
    if (c.state === "received") {
      out.push(box("派单", `<div class="unit-guess" id="dispatch-guess" style="margin-bottom:8px">${IS_AGENT ? '<span class="spinner"></span> 正在计算建议承办单位……' : esc(c.route_reason || "请选择承办单位")}</div>
        <div class="stack"><label class="field"><span>承办单位</span><select id="dispatch-unit"><option value="">— 请选择 —</option>${CaseKit.unitOptions(units, "")}</select></label>
        <label class="field"><span>诉求分类（派单时确认，可点右侧分类采纳）</span><input type="text" id="dispatch-code" maxlength="16" class="mono" value="${esc(c.code)}"></label>
        <label class="field"><span>派单说明（派单理由）</span><input type="text" id="dispatch-note" maxlength="5000"></label>
        <div class="row" style="justify-content:flex-end"><button class="btn primary" type="button" data-act="dispatch">派单</button></div></div>`));
      if (IS_AGENT) {
        out.push(box("当场答复", `<textarea id="case-answer" rows="3" placeholder="可采纳右侧知识库答案"></textarea>
          <div class="row" style="justify-content:flex-end;margin-top:8px"><button class="btn ok sm" type="button" data-act="answer">答复并办结</button></div>`));
      }
      out.push(box("合并重复件", `<div class="row"><input type="text" id="merge-master" placeholder="主工单号" class="mono">
        <button class="btn sm warn" type="button" data-act="merge">合并</button></div>`));
    }
    if (c.state === "return_requested" && IS_LEAD) {
      const ask = [...c.events].reverse().find((e) => e.action === "request_return");
      out.push(box('退回审核 <span class="badge orange">待审核</span>', `<div class="small" style="margin-bottom:8px">退回理由：${esc(ask?.note || "—")}</div>
        <input type="text" id="lead-note" placeholder="审核意见（驳回时必填）">
        <div class="row" style="justify-content:flex-end;margin-top:8px"><button class="btn sm danger" type="button" data-act="reject_return">驳回退回</button>
        <button class="btn sm primary" type="button" data-act="approve_return">同意退回（重新派单）</button></div>`));
    }
    if (c.extension_asked && IS_LEAD) {
      const ask = [...c.events].reverse().find((e) => e.action === "request_extension");
      out.push(box(`延期审批 <span class="badge orange">申请 ${c.extension_asked} 个工作日</span>`, `<div class="small" style="margin-bottom:8px">申请理由：${esc(ask?.note || "—")}</div>
        <input type="text" id="ext-note" placeholder="审批意见">
        <div class="row" style="justify-content:flex-end;margin-top:8px"><button class="btn sm danger" type="button" data-act="decide_extension" data-approve="false">不予延期</button>
        <button class="btn sm primary" type="button" data-act="decide_extension" data-approve="true">批准延期</button></div>`));
    }
    if (H.WITH_UNIT.includes(c.state) && IS_LEAD) {
      out.push(box("督办", `<div class="row"><input type="text" id="escalate-note" placeholder="督办意见，例如：请于今日内答复">
        <button class="btn sm danger" type="button" data-act="escalate">督办</button></div>`));
    }
    if (task === "待核实") {
      out.push(box('差评核实 <span class="badge violet">待核实</span>', `<textarea id="verify-note" rows="2" placeholder="核实情况，例如：电话核实来电人，电梯仍未修复"></textarea>
        <div class="row" style="justify-content:flex-end;margin-top:8px"><button class="btn sm" type="button" data-act="verify_rating" data-approve="false">不属实，提交审核</button>
        <button class="btn sm danger" type="button" data-act="verify_rating" data-approve="true">属实，退回整改</button></div>`));
    }
    if (task === "整改中" && IS_AGENT) {
      out.push(box('告知整改结果 <span class="badge violet">整改中</span>', c.state === "replied"
        ? `<div class="row"><input type="text" id="tell-note" placeholder="告知情况"><button class="btn sm primary" type="button" data-act="tell_result">已告知来电人</button></div>`
        : '<div class="small muted">承办单位整改答复后，在此告知来电人整改结果。</div>'));
    }
    if (task === "申诉待审核" && IS_LEAD) {
      out.push(box('差评申诉审核 <span class="badge violet">申诉待审核</span>', `<input type="text" id="review-note" placeholder="审核意见">
        <div class="row" style="justify-content:flex-end;margin-top:8px"><button class="btn sm" type="button" data-act="review_dispute" data-approve="false">申诉不成立，继续整改</button>
        <button class="btn sm primary" type="button" data-act="review_dispute" data-approve="true">申诉成立，撤销差评</button></div>`));
    }
    if (c.state === "replied" && IS_AGENT) {
      out.push(box("回访", `<textarea id="follow-note" rows="2" placeholder="回访情况（必填），例如：已电话回访，来电人知悉办理结果"></textarea>
        <div class="row" style="justify-content:flex-end;margin-top:8px"><button class="btn sm primary" type="button" data-act="follow_up">完成回访</button></div>`));
    }
    if (["replied", "followed_up", "closed"].includes(c.state) && IS_AGENT && !task) {
      out.push(box("记录来电人评价（回访时）", `<div class="row"><select id="rate-level" style="width:140px">${CaseKit.DATA.levels.map((l, i) => `<option value="${i + 1}">${l}</option>`).join("")}</select>
        <input type="text" id="rate-note" placeholder="评价说明"><button class="btn sm" type="button" data-act="rate">记录评价</button></div>`));
    }
    if (c.state === "followed_up") {
      out.push(box("办结", `<div class="row"><input type="text" id="close-note" placeholder="办结说明（可不填）">
        <button class="btn sm primary" type="button" data-act="close">办结</button></div>`));
    }
    if (!out.length) {
      const why = H.WITH_UNIT.includes(c.state) ? `${esc(c.lead_unit)} 正在办理，时限内无需坐席处理。` : "当前没有需要您处理的操作。";
      out.push(`<div class="banner">${why}</div>`);
    }
    return out.join("");
  }

  function renderCase() {
    const c = current;
    const v = $("#view-case");
    const code = accessCodes[c.number];
    v.innerHTML = `${CaseKit.head(c)}
      <div class="card-body stack">
        <div class="banner error hidden" id="conflict" role="alert"></div>
        ${code ? `<div class="banner ok">查询码 <b class="mono" style="font-size:16px">${esc(code)}</b>　请告知来电人：凭工单号和查询码可查询进度并评价。</div>` : ""}
        <div><div class="field-label">诉求内容</div><div class="body-box">${esc(c.body)}</div></div>
        ${CaseKit.facts(c)}
        ${c.route_reason ? `<div><div class="field-label">派单理由</div><div class="small">${esc(c.route_reason)}</div></div>` : ""}
        ${c.reply ? `<div><div class="field-label">答复内容（${esc(fmt(c.replied_at))}）</div><div class="reply-box">${esc(c.reply)}</div></div>` : ""}
        <div class="section-title">办理操作<span class="line"></span></div>
        ${actionsHtml(c)}
        ${c.state === "received" && IS_AGENT ? `<div class="section-title">办理记录<span class="line"></span></div>${CaseKit.timeline(c.events)}` : ""}
      </div>`;
    if (caseHints) fillDispatch();
    $$("[data-act]", v).forEach((b) => b.addEventListener("click", () => onAction(b)));
  }

  const val = (sel) => ($(sel)?.value || "").trim();

  function onAction(b) {
    const action = b.dataset.act;
    const approve = b.dataset.approve !== "false";
    const body = {
      dispatch: () => {
        const unit = val("#dispatch-unit");
        if (!unit) { toast("请选择承办单位"); return null; }
        return { unit_id: unit, note: val("#dispatch-note"), code: val("#dispatch-code") };
      },
      answer: () => (val("#case-answer") ? { text: val("#case-answer") } : (toast("请填写答复内容"), null)),
      merge: () => (val("#merge-master") ? { master: val("#merge-master"), note: "坐席合并重复件" } : (toast("请填写主工单号"), null)),
      approve_return: () => ({ note: val("#lead-note") }),
      reject_return: () => ({ note: val("#lead-note") }),
      decide_extension: () => ({ approve, note: val("#ext-note") }),
      escalate: () => ({ note: val("#escalate-note") }),
      follow_up: () => ({ note: val("#follow-note") }),
      rate: () => ({ level: Number(val("#rate-level")), note: val("#rate-note") }),
      close: () => ({ note: val("#close-note") }),
      verify_rating: () => ({ approve, note: val("#verify-note") }),
      tell_result: () => ({ note: val("#tell-note") }),
      review_dispute: () => ({ approve, note: val("#review-note") }),
    }[action]();
    if (body) caseAction(action, body);
  }

  async function caseAction(action, body) {
    if (!current) return;
    const number = current.number;
    try {
      await CaseKit.act(current, action, body, {
        root: $("#view-case"),
        reload: () => openCase(number),
        done: (out) => {
          current = out;
          caseHints = null;
          renderCase();
          side("办理记录", CaseKit.timeline(out.events));
        },
      });
      loadQueues(true);
    } catch { /* shown */ }
  }

  // -- chats ---------------------------------------------------------------------------------
  function chatTitle(v) {
    const badge = { waiting: '<span class="badge orange">等待接入</span>', agent: '<span class="badge green">人工接待中</span>',
      bot: '<span class="badge blue">智能客服</span>', closed: '<span class="badge">已结束</span>' }[v.state] || "";
    const buttons = [];
    if (v.state === "waiting" && IS_AGENT) buttons.push('<button class="btn sm primary" type="button" id="claim">接入会话</button>');
    if (v.state === "agent" && IS_AGENT) buttons.push('<button class="btn sm" type="button" id="to-case">转为工单</button><button class="btn sm danger" type="button" id="close-chat">结束会话</button>');
    if (v.case_number) buttons.push(`<button class="btn sm ghost" type="button" id="open-chat-case">工单 ${esc(v.case_number)}</button>`);
    return `<h2>会话 #${v.chat_id}</h2>${badge}<span class="small muted why">${esc(REASONS[v.handoff_reason] || "")}</span><span class="grow"></span>${buttons.join("")}`;
  }

  function renderChat(v) {
    const log = $("#chat-log");
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    const who = { caller: ["来电人", "民"], bot: ["智能客服", "智"], agent: ["人工客服", "客"] };
    log.innerHTML = v.messages.map((m) => {
      if (m.sender === "system") return `<div class="msg system"><div class="note">${esc(m.text)}</div></div>`;
      const [name, av] = who[m.sender] || [m.sender, "?"];
      // the agent's own side on the right, the caller and the bot on the left
      const cls = m.sender === "agent" ? "caller" : m.sender === "caller" ? "agent" : "bot";
      return `<div class="msg ${cls}"><div class="avatar" style="${m.sender === "caller" ? "background:#98a2b3" : m.sender === "agent" ? "background:#067a4a" : ""}">${av}</div>
        <div class="col"><div class="who">${name} · ${esc(fmt(m.at).slice(6))}</div>
        <div class="bubble" style="${m.sender === "agent" ? "background:#067a4a;border-color:#067a4a" : ""}">${esc(m.text)}${m.source ? `<div class="source">来源：${esc(m.source)}</div>` : ""}</div></div></div>`;
    }).join("");
    if (atBottom || !chat || chat.messages.length !== v.messages.length) log.scrollTop = log.scrollHeight;
    const prevState = chat?.state;
    chat = v;
    if (prevState !== v.state || !$("#claim,#to-case,#open-chat-case")) {
      $("#center-title").innerHTML = chatTitle(v);
      bindChatButtons();
    }
    const status = $("#chat-status");
    status.classList.toggle("hidden", v.state !== "waiting");
    $("#chat-status-text").textContent = "来电人正在等待人工客服，接入后可查看并回复完整对话";
    $("#chat-form").classList.toggle("hidden", v.state !== "agent" || !IS_AGENT);
    markQueue();
  }

  function bindChatButtons() {
    $("#claim")?.addEventListener("click", async () => {
      try {
        renderChat(await api("POST", `/api/v1/chats/${chat.chat_id}/claim`));
        $("#center-title").innerHTML = chatTitle(chat);
        bindChatButtons();
        loadQueues(false);
        $("#chat-text").focus();
      } catch { loadQueues(false); }
    });
    $("#close-chat")?.addEventListener("click", async () => {
      try {
        renderChat(await api("POST", `/api/v1/chats/${chat.chat_id}/close`));
        $("#center-title").innerHTML = chatTitle(chat);
        loadQueues(false);
      } catch { /* shown */ }
    });
    $("#to-case")?.addEventListener("click", () => {
      const said = chat.messages.filter((m) => m.sender === "caller").map((m) => m.text).join("\n");
      const id = chat.chat_id;
      showNew();
      resetNew();
      fromChat = id;
      form.body.value = said;
      form.channel.value = "chat";
      $("#from-chat").textContent = `来自会话 #${id}：已带入来电人在对话中的描述，请补充地点和联系方式。`;
      $("#from-chat").classList.remove("hidden");
      onType();
    });
    $("#open-chat-case")?.addEventListener("click", () => openCase(chat.case_number));
  }

  async function openChat(id) {
    let v;
    try { v = await api("GET", `/api/v1/chats/${id}`); } catch { return; }
    setView("chat", "");
    chat = null;
    renderChat(v);
    side("会话信息", `<div class="sg"><h3>转人工原因</h3><div>${esc(REASONS[v.handoff_reason] || v.handoff_reason || "—")}</div></div>
      <div class="sg"><h3>说明</h3><div class="small muted">接入后，来电人此前与智能客服的完整对话都在左侧。需要交办的，点击「转为工单」，系统会带入来电人的描述并给出派单建议。</div></div>`);
    chatTimer = setInterval(async () => {
      if (!chat) return;
      try { renderChat(await api("GET", `/api/v1/chats/${chat.chat_id}`, undefined, { quiet: true })); } catch { /* retry */ }
    }, 2000);
  }

  $("#chat-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const text = $("#chat-text").value.trim();
    if (!text || !chat) return;
    try {
      renderChat(await api("POST", `/api/v1/chats/${chat.chat_id}/agent-messages`, { text }));
      $("#chat-text").value = "";
    } catch { /* shown */ }
  });
  $("#chat-text").addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); $("#chat-form").requestSubmit(); }
  });

  // -- start ---------------------------------------------------------------------------------
  api("GET", "/api/v1/units").then((u) => {
    units = u;
    form.unit_id.innerHTML = `<option value="">— 按建议派单 —</option>${CaseKit.unitOptions(units, "")}`;
    if (hints?.unit.unit_id && !picked.unit) form.unit_id.value = hints.unit.unit_id;
    if (current?.state === "received") { renderCase(); }
  }).catch(() => {});
  selectTab(tab);
  showNew();
  loadQueues(true);
  setInterval(() => loadQueues(false), 15000);
})();
