// 报税 (B6): filing status by period and tax; 报税完成通知 into the chat.
(function () {
  "use strict";
  var el = ZF.el;

  function show(box, base, period) {
    ZF.api("GET", base + "/filings?period=" + period).then(function (d) {
      box.innerHTML = "";
      box.appendChild(el("div", { class: "inline bar2" }, [ZF.periodPicker(d.periods, d.period, function (p) { show(box, base, p); }),
        el("button", { type: "button", text: "报税完成通知", onclick: function () { ZF.sendTextFrom("GET", base + "/filings/notice?period=" + d.period); } })]));
      if (!d.groups.length) { box.appendChild(el("p", { class: "empty", text: d.period_label + "没有申报记录" })); }
      d.groups.forEach(function (g) {
        var card = el("section", { class: "card" }, [el("h3", { text: g.title })]);
        g.rows.forEach(function (r) {
          card.appendChild(el("div", { class: "item" }, [el("div", { class: "grow" }, [el("b", { text: r.tax }),
            el("div", { class: "meta", text: (r.amount_fen ? "税额 " + ZF.yuan(r.amount_fen) : "零申报") + (r.filed_on ? " · " + r.filed_on + " 申报" : "") })]),
            el("span", { class: "badge " + r.status + (r.overdue ? " overdue" : ""), text: r.status_label + (r.overdue ? "（已逾期）" : "") })]));
        });
        card.appendChild(el("p", { class: "meta", text: g.note }));
        box.appendChild(card);
      });
    }).catch(function (e) { box.appendChild(el("p", { class: "error", text: e.message })); });
  }

  ZF.tab({ id: "filings", title: "报税", render: function (box) {
    if (!ZF.client) { return; }
    show(box, "/sidebar/api/clients/" + ZF.client.id, "");
  } });
})();
