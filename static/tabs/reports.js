// 报表 (B7): pick a period; the balance sheet and income statement as one Excel file into the chat.
(function () {
  "use strict";
  var el = ZF.el;

  function show(box, base, period) {
    ZF.api("GET", base + "/reports" + (period ? "?period=" + period : "")).then(function (d) {
      box.innerHTML = "";
      if (!d.periods.length) { box.appendChild(el("p", { class: "empty", text: "还没有这个客户的报表，结账后再来看看" })); return; }
      box.appendChild(el("div", { class: "inline bar2" }, [ZF.periodPicker(d.periods, d.period, function (p) { show(box, base, p); })]));
      var card = el("section", { class: "card" }, [el("h3", { text: d.period_label + " 财务报表" })]);
      d.figures.forEach(function (f) { card.appendChild(el("div", { class: "kv" }, [el("span", { text: f.name }), el("b", { text: ZF.yuan(f.amount_fen) })])); });
      ["资产负债表", "利润表"].forEach(function (name) {
        card.appendChild(el("div", { class: "item" }, [el("span", { text: name }), el("em", { text: "Excel" })]));
      });
      card.appendChild(el("div", { class: "actions" }, [el("button", { type: "button", text: "✈ 发送报表到聊天", onclick: function () {
        ZF.sendMediaFrom("file", base + "/reports/" + d.period + "/file");
      } })]));
      card.appendChild(el("p", { class: "meta", text: "资产负债表和利润表在同一个 Excel 文件中，客户可直接打开。" }));
      box.appendChild(card);
    }).catch(function (e) { box.appendChild(el("p", { class: "error", text: e.message })); });
  }

  ZF.tab({ id: "reports", title: "报表", render: function (box) {
    if (!ZF.client) { return; }
    show(box, "/sidebar/api/clients/" + ZF.client.id, "");
  } });
})();
