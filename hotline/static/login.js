/* Login: JSON to the API (which sets the session cookie), then the page asked for or the
   user's own workspace. */
"use strict";
(() => {
  const HOME = { agent: "/agent", supervisor: "/agent", unit: "/unit", admin: "/admin", analyst: "/analyst" };
  const form = H.$("#login");
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const error = H.$("#login-error");
    error.classList.add("hidden");
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      const out = await H.api("POST", "/api/v1/auth/login",
        { username: form.username.value.trim(), password: form.password.value }, { quiet: true });
      location.href = form.dataset.next || HOME[out.user.role] || "/";
    } catch (e) {
      error.textContent = e.detail;
      error.classList.remove("hidden");
      button.disabled = false;
    }
  });
})();
