// Shared by every page: the navigation bar and calls to the API.
// A new page adds one entry here (and its HTML file in this folder).
const NAV = [
  { href: "/", label: "Listen" },
  { href: "/home", label: "Home" },
  { href: "/discover-weekly", label: "Discover Weekly" },
];

function renderNav() {
  const nav = document.getElementById("nav");
  if (!nav) return;
  for (const { href, label } of NAV) {
    const a = document.createElement("a");
    a.href = href;
    a.textContent = label;
    if (location.pathname === href) a.className = "current";
    nav.append(a);
  }
}

// The write token: from "#token=..." (what `tastemaker serve` prints), else localStorage.
function apiToken() {
  const m = location.hash.match(/token=([^&]+)/);
  if (m) {
    localStorage.setItem("tastemaker-token", decodeURIComponent(m[1]));
    history.replaceState(null, "", location.pathname + location.search);
  }
  return localStorage.getItem("tastemaker-token") || "";
}

class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

async function api(path, options = {}) {
  const headers = { Accept: "application/json", ...(options.headers || {}) };
  if (options.body !== undefined) {
    headers["Content-Type"] = "application/json";
    const token = apiToken();
    if (token) headers.Authorization = `Bearer ${token}`;
  }
  const response = await fetch(path, {
    ...options, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const detail = Array.isArray(data.detail) ? data.detail.map((d) => d.msg).join("; ") : data.detail;
    throw new ApiError(response.status, detail || response.statusText);
  }
  return data;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  node.append(...children);
  return node;
}

document.addEventListener("DOMContentLoaded", renderNav);
