// 知识库 (B9): search audited entries by keyword; send an answer into the chat.
(function () {
  "use strict";
  var el = ZF.el;
  var ENTITIES = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#x27;": "'" };

  // The server's snippet is escaped text with <mark> around matched terms: rebuilt as text and <mark> nodes,
  // never assigned as HTML, so nothing typed into an entry can become markup.
  function snippet(html) {
    var p = el("p", { class: "meta snippet" }), marked = false;
    html.split(/(<mark>|<\/mark>)/).forEach(function (part) {
      if (part === "<mark>") { marked = true; return; }
      if (part === "</mark>") { marked = false; return; }
      if (!part) { return; }
      var text = part.replace(/&(amp|lt|gt|quot|#x27);/g, function (m) { return ENTITIES[m]; });
      p.appendChild(marked ? el("mark", { text: text }) : document.createTextNode(text));
    });
    return p;
  }

  function results(list, d) {
    list.innerHTML = "";
    if (!d.entries.length) {
      list.appendChild(el("p", { class: "empty", text: "没有找到与「" + d.query + "」相关的条目，已记录下来，知识库维护人员会补充。" }));
      return;
    }
    list.appendChild(el("h4", { text: d.popular ? "常用条目" : "搜索结果" }));
    d.entries.forEach(function (e) {
      var answer = el("p", { class: "answer", text: e.answer || e.brief, hidden: "" });
      list.appendChild(el("div", { class: "note" }, [el("div", { class: "item" }, [
        el("button", { type: "button", class: "link grow left", text: e.title, onclick: function () { answer.hidden = !answer.hidden; } }),
        el("button", { type: "button", text: "✈ 发送", "aria-label": "发送 " + e.title, onclick: function () {
          ZF.sendTextFrom("POST", "/sidebar/api/knowledge/" + e.id + "/send");
        } })]), d.popular || !e.snippet ? el("p", { class: "meta", text: e.brief }) : snippet(e.snippet), answer]));
    });
  }

  ZF.tab({ id: "knowledge", title: "知识库", render: function (box) {
    var list = el("div", {});
    var input = el("input", { type: "search", placeholder: "输入关键词，例如：小规模 增值税", "aria-label": "搜索知识库" });
    function search() {
      ZF.api("GET", "/sidebar/api/knowledge?q=" + encodeURIComponent(input.value)).then(function (d) { results(list, d); })
        .catch(function (e) { ZF.toast(e.message, true); });
    }
    box.appendChild(el("form", { class: "inline bar2", onsubmit: function (e) { e.preventDefault(); search(); } },
      [input, el("button", { type: "submit", text: "搜索" })]));
    box.appendChild(list);
    search();
  } });
})();
