// The home page: BaRT's shelves of cards for a listener; ▶ reports a stream (the bandit's reward).
const hm = (id) => document.getElementById(id);

function homeSay(text, kind = "") {
  hm("home-status").textContent = text;
  hm("home-status").className = kind;
}

async function stream(user, page, card, button) {
  try {
    await api(`/users/${encodeURIComponent(user)}/home/streams`, { method: "POST",
      body: { page_id: page.page_id, item_id: card.item_id } });
    button.disabled = true;
    button.textContent = "✓";
    homeSay(`streamed ${card.name}`, "ok");
  } catch (e) {
    homeSay(e.message, "error");
  }
}

async function showHome(user, device) {
  homeSay("loading…");
  try {
    const page = await api(`/users/${encodeURIComponent(user)}/home?device=${encodeURIComponent(device)}`);
    hm("home-title").textContent = `for ${page.user_id}`;
    hm("home-meta").textContent = `${page.policy} · reward model ${page.policy_version} · page ${page.page_id}`
      + (page.logged ? " · logged" : "");
    hm("shelves").replaceChildren(...page.shelves.map((shelf) => el("div", { class: "shelf", "data-shelf": shelf.key },
      el("h3", {}, shelf.title),
      el("ol", { class: "items" }, ...shelf.cards.map((card) => {
        const play = el("button", { type: "button", title: "stream this card" }, "▶");
        play.addEventListener("click", () => stream(page.user_id, page, card, play));
        return el("li", { "data-item": card.item_id },
          el("span", { class: "actions" }, play),
          el("span", { class: "name" }, card.name),
          el("span", { class: "muted" }, `p=${card.propensity.toFixed(2)}`));
      })))));
    history.replaceState(null, "", `?user=${encodeURIComponent(user)}`);
    homeSay("");
  } catch (e) {
    hm("shelves").replaceChildren();
    hm("home-title").textContent = "";
    hm("home-meta").textContent = "";
    homeSay(e.message, "error");
  }
}

document.addEventListener("DOMContentLoaded", () => {
  apiToken(); // keep a "#token=..." before the address bar is rewritten
  hm("home-form").addEventListener("submit", (event) => {
    event.preventDefault();
    showHome(hm("home-user").value.trim(), hm("home-device").value);
  });
  const user = new URLSearchParams(location.search).get("user");
  if (user) {
    hm("home-user").value = user;
    showHome(user, hm("home-device").value);
  }
});
