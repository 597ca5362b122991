/* 在线咨询: the caller's chat with the bot (answers with their source), 转人工 with polling,
   and filing an appeal that returns the case number and access code. */
"use strict";
(() => {
  const { api, esc, $, $$, toast } = H;
  const KEY = "hotline_chat";
  const log = $("#log");
  let chat = null; // {chat_id, token}
  let lastId = 0;
  let state = "bot";
  let timer = null;
  const seen = new Set();

  const headers = () => ({ "X-Chat-Token": chat.token });
  const url = (tail = "") => `/api/v1/chats/${chat.chat_id}${tail}`;
  const WHO = { bot: "智能客服", agent: "人工客服", caller: "我" };
  const AVATAR = { bot: "智", agent: "客", caller: "我" };

  function render(m) {
    if (seen.has(m.id)) return;
    seen.add(m.id);
    lastId = Math.max(lastId, m.id);
    const row = document.createElement("div");
    row.className = `msg ${m.sender}`;
    row.dataset.id = m.id;
    if (m.sender === "system") {
      row.innerHTML = `<div class="note">${esc(m.text)}</div>`;
    } else {
      const source = m.source ? `<div class="source">来源：${esc(m.source)}</div>` : "";
      row.innerHTML = `<div class="avatar">${AVATAR[m.sender] || "?"}</div>
        <div class="col"><div class="who">${WHO[m.sender] || m.sender} · ${H.fmt(m.at).slice(6)}</div>
        <div class="bubble">${esc(m.text)}${source}</div></div>`;
    }
    log.appendChild(row);
    log.scrollTop = log.scrollHeight;
  }

  function apply(view) {
    view.messages.forEach(render);
    setState(view.state);
    if (view.case_number) $("#appeal-card").dataset.filed = view.case_number;
  }

  function setState(next) {
    state = next;
    const status = $("#status");
    const mode = $("#chat-mode");
    status.classList.toggle("hidden", state === "bot");
    status.classList.toggle("agent", state === "agent");
    $("#status-text").textContent = {
      waiting: "正在为您转接人工客服，请稍候……",
      agent: "人工客服已接入，正在为您服务",
      closed: "本次会话已结束，如需继续咨询请点击「新的咨询」",
    }[state] || "";
    mode.textContent = { bot: "智能客服", waiting: "等待人工", agent: "人工客服", closed: "已结束" }[state];
    mode.className = `badge ${{ bot: "blue", waiting: "orange", agent: "green", closed: "" }[state]}`;
    $("#handoff").disabled = state !== "bot";
    $("#send").disabled = state === "closed";
    if ((state === "waiting" || state === "agent") && !timer) timer = setInterval(poll, 2000);
    if ((state === "bot" || state === "closed") && timer) { clearInterval(timer); timer = null; }
  }

  async function poll() {
    try {
      apply(await api("GET", url(`/messages?after=${lastId}`), undefined, { headers: headers(), quiet: true }));
    } catch (e) { /* a missed poll is retried in 2 s */ }
  }

  async function start(fresh = false) {
    const stored = !fresh && sessionStorage.getItem(KEY);
    if (stored) {
      chat = JSON.parse(stored);
      try {
        apply(await api("GET", url("/messages?after=0"), undefined, { headers: headers(), quiet: true }));
        showReceipt();
        return;
      } catch { /* expired or unknown: start again */ }
    }
    const started = await api("POST", "/api/v1/chats");
    chat = { chat_id: started.chat_id, token: started.token };
    sessionStorage.setItem(KEY, JSON.stringify(chat));
    sessionStorage.removeItem(`${KEY}_receipt`);
    started.messages.forEach(render);
    setState("bot");
  }

  async function send(text) {
    text = text.trim();
    if (!text || !chat) return;
    $("#text").value = "";
    $("#send").disabled = true;
    try {
      apply(await api("POST", url("/messages"), { text }, { headers: headers() }));
    } catch (e) {
      $("#text").value = text;
    } finally {
      $("#send").disabled = state === "closed";
      $("#text").focus();
    }
  }

  $("#composer").addEventListener("submit", (ev) => { ev.preventDefault(); send($("#text").value); });
  $("#text").addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); send($("#text").value); }
  });
  $$("#quick button").forEach((b) => b.addEventListener("click", () => send(b.textContent)));
  $("#handoff").addEventListener("click", async () => {
    try { apply(await api("POST", url("/handoff"), undefined, { headers: headers() })); } catch { /* toast shown */ }
  });
  $("#restart").addEventListener("click", async () => {
    if (timer) { clearInterval(timer); timer = null; }
    log.innerHTML = ""; seen.clear(); lastId = 0;
    $("#receipt").classList.add("hidden");
    $("#appeal-card").classList.remove("hidden");
    $("#appeal").reset();
    await start(true);
  });

  function showReceipt() {
    const saved = sessionStorage.getItem(`${KEY}_receipt`);
    if (!saved) return;
    const r = JSON.parse(saved);
    $("#r-number").textContent = r.number;
    $("#r-code").textContent = r.access_code;
    $("#r-link").href = `/track?number=${encodeURIComponent(r.number)}`;
    $("#receipt").classList.remove("hidden");
    $("#appeal-card").classList.add("hidden");
  }

  $("#appeal").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const f = ev.target;
    const body = {
      title: f.title.value.trim(),
      body: f.body.value.trim(),
      caller_name: f.caller_name.value.trim(),
      caller_phone: f.caller_phone.value.trim(),
      consent: f.consent.checked,
    };
    if ((body.caller_name || body.caller_phone) && !body.consent) {
      $("#consent-hint").style.color = "var(--danger)";
      toast("留下姓名或电话时，请勾选「同意将联系方式用于办理本诉求」");
      return;
    }
    if (!body.body && !$$(".msg.caller").length) {
      toast("请先在对话中描述您的问题，或填写诉求内容");
      return;
    }
    const button = f.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const made = await api("POST", url("/appeal"), body, { headers: headers() });
      sessionStorage.setItem(`${KEY}_receipt`, JSON.stringify(made));
      showReceipt();
      poll();
    } catch { /* toast shown */ } finally { button.disabled = false; }
  });

  start().catch(() => toast("无法开始会话，请刷新页面重试"));
})();
