/* Shared helpers for every page: the JSON API with the CSRF header, toasts, formatting. */
"use strict";

const H = (() => {
  const meta = (name) => document.querySelector(`meta[name="${name}"]`)?.content || "";
  const serverNow = meta("server-now");
  // The server's clock (the centre's local time) minus the browser's: deadlines count from it.
  const skew = serverNow ? new Date(serverNow).getTime() - Date.now() : 0;

  class ApiError extends Error {
    constructor(status, detail) {
      super(detail);
      this.status = status;
      this.detail = detail;
    }
  }

  function detailOf(data, status) {
    if (data && typeof data.detail === "string") return data.detail;
    if (data && Array.isArray(data.detail)) return data.detail.map((d) => d.msg || d).join("；");
    return `请求失败（HTTP ${status}）`;
  }

  async function api(method, url, body, { headers = {}, quiet = false } = {}) {
    const init = { method, headers: { Accept: "application/json", ...headers }, credentials: "same-origin" };
    if (method !== "GET" && method !== "HEAD") {
      const csrf = meta("csrf-token");
      if (csrf) init.headers["X-CSRF-Token"] = csrf;
    }
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(url, init);
    } catch (err) {
      const e = new ApiError(0, "网络连接失败，请检查网络后重试");
      if (!quiet) toast(e.detail);
      throw e;
    }
    const text = await response.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch { data = null; }
    if (!response.ok) {
      const e = new ApiError(response.status, detailOf(data, response.status));
      if (response.status === 401 && meta("csrf-token")) {
        location.href = `/login?next=${encodeURIComponent(location.pathname)}`;
      }
      if (!quiet) toast(e.detail);
      throw e;
    }
    return data;
  }

  function toast(message, kind = "error", ms = 5200) {
    let box = document.getElementById("toasts");
    if (!box) {
      box = document.createElement("div");
      box.id = "toasts";
      document.body.appendChild(box);
    }
    const t = document.createElement("div");
    t.className = `toast ${kind}`;
    t.setAttribute("role", kind === "error" ? "alert" : "status");
    const head = { error: "操作未成功", ok: "✓", info: "提示" }[kind] || "";
    t.innerHTML = `<b>${esc(head)}</b>　${esc(message)}`;
    t.addEventListener("click", () => t.remove());
    box.appendChild(t);
    setTimeout(() => t.remove(), ms);
  }

  function esc(s) {
    return String(s ?? "").replace(/[&<>"']/g, (c) =>
      ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  }

  const pad = (n) => String(n).padStart(2, "0");
  function fmt(iso, withYear = false) {
    if (!iso) return "—";
    const d = new Date(iso);
    if (isNaN(d)) return iso;
    const day = `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
    return withYear ? `${d.getFullYear()}-${day}` : day;
  }
  const now = () => Date.now() + skew;

  /** {text, cls} for a deadline: 剩余 / 超期, red when overdue, orange within a day. */
  function due(iso, running = true) {
    if (!iso) return { text: "无时限", cls: "" };
    const left = new Date(iso).getTime() - now();
    if (!running) return { text: `时限 ${fmt(iso)}`, cls: "" };
    const abs = Math.abs(left);
    const days = Math.floor(abs / 86400000);
    const hours = Math.floor((abs % 86400000) / 3600000);
    const mins = Math.floor((abs % 3600000) / 60000);
    const span = days ? `${days}天${hours}小时` : hours ? `${hours}小时${mins}分` : `${mins}分钟`;
    if (left < 0) return { text: `已超期 ${span}`, cls: "late" };
    return { text: `剩余 ${span}`, cls: left < 86400000 ? "soon" : "" };
  }

  function debounce(fn, ms) {
    let t;
    return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
  }

  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

  function pageData() {
    const node = document.getElementById("page-data");
    return node ? JSON.parse(node.textContent) : {};
  }

  const URGENCY = { normal: "一般", urgent: "紧急", emergency: "特急" };
  const CHANNEL = { phone: "电话", chat: "在线咨询", web: "网站", open311: "Open311" };
  function stateBadge(c) {
    return `<span class="badge s-${esc(c.state)}">${esc(c.state_label)}</span>`;
  }
  function urgencyBadge(u) {
    return u && u !== "normal" ? `<span class="badge u-${esc(u)}">${esc(URGENCY[u] || u)}</span>` : "";
  }
  const WITH_UNIT = ["dispatched", "return_requested", "accepted", "in_progress"];
  function dueHtml(c) {
    const d = due(c.due_at, WITH_UNIT.includes(c.state));
    if (!c.due_at) return "";
    return `<span class="due ${c.overdue ? "late" : d.cls}">${esc(c.overdue && d.cls !== "late" ? "已超期" : d.text)}</span>`;
  }
  function caseBadges(c) {
    return [
      stateBadge(c),
      urgencyBadge(c.urgency),
      c.overdue ? '<span class="badge red">超期</span>' : "",
      c.escalated ? '<span class="badge redsoft">督办</span>' : "",
      c.extension_asked ? `<span class="badge orange">申请延期 ${c.extension_asked} 天</span>` : "",
      c.rectification ? `<span class="badge violet">整改·${esc(c.rectification)}</span>` : "",
      c.master ? `<span class="badge">并入 ${esc(c.master)}</span>` : "",
    ].join(" ");
  }

  /** Text with personal-data spans marked (spans: [{kind,start,end}] on the same string). */
  function markPii(text, spans) {
    const KIND = { mobile: "手机号", landline: "电话", id_card: "身份证号", bank_card: "银行卡号",
      plate: "车牌号", email: "邮箱", name: "姓名" };
    let out = "", at = 0;
    for (const s of [...(spans || [])].sort((a, b) => a.start - b.start)) {
      if (s.start < at) continue;
      out += esc(text.slice(at, s.start));
      out += `<mark class="pii" data-kind="${esc(KIND[s.kind] || s.kind)}">${esc(text.slice(s.start, s.end))}</mark>`;
      at = s.end;
    }
    return out + esc(text.slice(at));
  }

  async function logout() {
    try { await api("POST", "/api/v1/auth/logout", undefined, { quiet: true }); } catch { /* gone already */ }
    location.href = "/login";
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("#logout")?.addEventListener("click", logout);
    const clock = $("#clock");
    if (clock) {
      const tick = () => {
        const d = new Date(now());
        const wk = "日一二三四五六"[d.getDay()];
        clock.textContent = `${d.getFullYear()}年${d.getMonth() + 1}月${d.getDate()}日 星期${wk} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
      };
      tick();
      setInterval(tick, 20000);
    }
  });

  return { api, ApiError, toast, esc, fmt, due, dueHtml, debounce, $, $$, pageData, stateBadge,
    urgencyBadge, caseBadges, markPii, URGENCY, CHANNEL, WITH_UNIT, now };
})();
