// The listener page: recommendations with explanations, similar artists, search, play and skip.
const state = { user: null, previous: new Set() };
const $ = (id) => document.getElementById(id);

function say(text, kind = "") {
  $("status").textContent = text;
  $("status").className = kind;
}

function pct(x) {
  return `${Math.round(x * 100)}%`;
}

// What a score is made of: each signal's share of its positive parts, largest first (as the CLI's).
function signalShares(signals) {
  const parts = Object.entries(signals || {}).filter(([, v]) => v > 0);
  const total = parts.reduce((sum, [, v]) => sum + v, 0);
  if (!total) return "";
  return parts.sort((a, b) => b[1] - a[1]).filter(([, v]) => v / total >= 0.05)
    .map(([k, v]) => `${k} ${pct(v / total)}`).join(" · ");
}

// One line of why: the listened items behind it, else the bundle's reason ("tagged like Y" …).
function why(item) {
  if (item.because.length && !item.placed_by) {
    return "because you listened to " + item.because.map((b) => `${b.name} (${pct(b.share)})`).join(", ");
  }
  return item.reason || "";
}

function actions(item) {
  return el("span", { class: "actions" },
    el("button", { class: "play", title: "Play", onclick: () => send(item, "play") }, "▶ Play"),
    el("button", { class: "skip", title: "Skip", onclick: () => send(item, "skip") }, "» Skip"),
    el("button", { class: "like", title: "Similar artists", onclick: () => showSimilar(item) }, "≈ Similar"));
}

function row(item, detail) {
  const li = el("li", { "data-item": item.item_id },
    el("span", { class: "name" }, item.name), actions(item));
  if (detail) li.append(el("div", { class: "because muted" }, detail));
  return li;
}

async function loadModel() {
  try {
    const h = await api("/health");
    $("model").textContent = `model ${h.model_version} · ${h.users.toLocaleString()} listeners · ` +
      `${h.items.toLocaleString()} artists`;
  } catch (e) {
    $("model").textContent = `server unavailable: ${e.message}`;
  }
}

async function loadRecs() {
  const user = state.user;
  $("who").textContent = user;
  const list = $("recs");
  try {
    const data = await api(`/users/${encodeURIComponent(user)}/recommendations?n=10&explain=true`);
    const ids = new Set(data.items.map((i) => i.item_id));
    list.replaceChildren(...data.items.map((item) => {
      const li = row(item, why(item));
      li.prepend(el("span", { class: "score" }, item.score.toFixed(3)));
      if (item.placed_by) {
        li.querySelector(".name").after(el("span", { class: "badge", title: `placed by ${item.placed_by}` }, "new"));
      }
      const shares = signalShares(item.signals);
      if (shares) li.append(el("div", { class: "signals muted", title: "what the score is made of" }, shares));
      if (state.previous.size && !state.previous.has(item.item_id)) li.classList.add("fresh");
      return li;
    }));
    list.dataset.version = String((Number(list.dataset.version) || 0) + 1);
    list.dataset.user = user;
    state.previous = ids;
  } catch (e) {
    list.replaceChildren();
    list.dataset.user = user;
    if (e.status === 404) {
      say(`${user} is a new listener: search for an artist you like and press Play.`);
    } else {
      say(e.message, "error");
    }
  }
  loadHistory();
}

async function loadHistory() {
  try {
    const data = await api(`/users/${encodeURIComponent(state.user)}?n=15`);
    $("history").replaceChildren(...data.top_items.map((i) =>
      el("li", {}, el("span", { class: "name" }, i.name),
        el("span", { class: "muted" }, i.value < 0 ? " skipped" : ` ${Math.round(i.value).toLocaleString()}`))));
  } catch (e) {
    $("history").replaceChildren();
  }
}

async function openListener(user) {
  state.user = user.trim();
  state.previous = new Set();
  $("listener").value = state.user;
  localStorage.setItem("tastemaker-listener", state.user);
  say("");
  await loadRecs();
}

async function send(item, event) {
  if (!state.user) {
    say("pick or create a listener first", "error");
    return;
  }
  try {
    const out = await api("/events", { method: "POST", body: { user_id: state.user, item_id: item.item_id, event } });
    const created = out.users.some((u) => u.new) ? " (listener created)" : "";
    say(`${event === "play" ? "played" : "skipped"} ${item.name}${created}; recommendations updated`, "ok");
    await loadRecs();
  } catch (e) {
    say(e.status === 401 || e.status === 403 ? `${e.message}: paste the token above` : e.message, "error");
  }
}

async function showSimilar(item) {
  try {
    const data = await api(`/items/${encodeURIComponent(item.item_id)}/similar?n=8`);
    $("similar-to").textContent = data.name;
    $("similar").replaceChildren(...data.items.map((i) => row(i, `similarity ${i.score.toFixed(2)}`)));
    $("similar").hidden = $("similar-title").hidden = false;
  } catch (e) {
    say(e.message, "error");
  }
}

async function search(query) {
  try {
    const data = await api(`/items?search=${encodeURIComponent(query)}&n=10`);
    $("results").replaceChildren(...data.items.map((i) => row(i, `${i.listeners.toLocaleString()} listeners`)));
    if (!data.items.length) say(`nothing matches "${query}"`);
  } catch (e) {
    say(e.message, "error");
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("token").value = apiToken();
  $("token").addEventListener("change", () => localStorage.setItem("tastemaker-token", $("token").value.trim()));
  $("listener-form").addEventListener("submit", (e) => {
    e.preventDefault();
    openListener($("listener").value);
  });
  $("random-listener").addEventListener("click", async () => {
    const first = await api("/users?limit=1");
    const page = await api(`/users?limit=1&offset=${Math.floor(Math.random() * first.total)}`);
    openListener(page.users[0]);
  });
  $("new-listener").addEventListener("click", () => {
    openListener(`web-${Math.random().toString(36).slice(2, 8)}`);
  });
  $("search-form").addEventListener("submit", (e) => {
    e.preventDefault();
    search($("search").value);
  });
  loadModel();
  const last = new URLSearchParams(location.search).get("user") || localStorage.getItem("tastemaker-listener");
  if (last) openListener(last);
});
