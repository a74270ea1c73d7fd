// The console's few behaviours: confirm before destructive posts, select-all for bulk forms, and polling a
// progress endpoint (contact sync). Everything works without it, except the live progress.
"use strict";
document.addEventListener("submit", (event) => {
  const text = event.target.getAttribute("data-confirm");
  if (text && !window.confirm(text)) event.preventDefault();
});
document.addEventListener("change", (event) => {
  const box = event.target;
  if (box.matches("input[data-select-all]")) {
    document.querySelectorAll(`input[name="${box.getAttribute("data-select-all")}"]`)
      .forEach((other) => { other.checked = box.checked; });
  }
});
for (const node of document.querySelectorAll("[data-poll]")) {
  const tick = async () => {
    try {
      const answer = await fetch(node.getAttribute("data-poll"), { credentials: "same-origin" });
      const body = await answer.json();
      node.textContent = body.text;
      if (body.running) setTimeout(tick, 1000);
      else if (node.hasAttribute("data-poll-reload")) window.location.reload();  // show what the work changed
    } catch (error) {
      node.textContent = "无法获取进度，请刷新页面";
    }
  };
  tick();
}
