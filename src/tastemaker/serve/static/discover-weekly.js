// The Discover Weekly page: a listener's playlist for a week, each item with its one-line reason.
const dw = (id) => document.getElementById(id);

function dwSay(text, kind = "") {
  dw("dw-status").textContent = text;
  dw("dw-status").className = kind;
}

async function showPlaylist(user, week) {
  const query = week ? `?week=${encodeURIComponent(week)}` : "";
  dwSay("loading…");
  try {
    const p = await api(`/users/${encodeURIComponent(user)}/discover-weekly${query}`);
    dw("dw-title").textContent = `for ${p.user_id}, ${p.week}`;
    dw("dw-meta").textContent = `${p.items.length} items · generated ${p.generated_at} · model ${p.model_version}`;
    const select = dw("dw-week");
    select.replaceChildren(el("option", { value: "" }, "newest"),
      ...p.weeks.map((w) => el("option", { value: w }, w)));
    select.value = week || "";
    dw("dw-items").replaceChildren(...p.items.map((item) => el("li", { "data-item": item.item_id, class: `reason-${item.reason}` },
      el("span", { class: "name" }, item.name),
      el("div", { class: "because muted" }, item.explanation))));
    history.replaceState(null, "", `?user=${encodeURIComponent(user)}${week ? `&week=${encodeURIComponent(week)}` : ""}`);
    dwSay("");
  } catch (e) {
    dw("dw-items").replaceChildren();
    dw("dw-title").textContent = "";
    dw("dw-meta").textContent = "";
    dwSay(e.message, "error");
  }
}

document.addEventListener("DOMContentLoaded", () => {
  const params = new URLSearchParams(location.search);
  dw("dw-form").addEventListener("submit", (event) => {
    event.preventDefault();
    showPlaylist(dw("dw-user").value.trim(), dw("dw-week").value);
  });
  dw("dw-week").addEventListener("change", () => {
    if (dw("dw-user").value.trim()) showPlaylist(dw("dw-user").value.trim(), dw("dw-week").value);
  });
  if (params.get("user")) {
    dw("dw-user").value = params.get("user");
    showPlaylist(params.get("user"), params.get("week") || "");
  }
});
