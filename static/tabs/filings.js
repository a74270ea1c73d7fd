// 报税 (B6): filing status by period and tax; 报税完成通知 into the chat; mark a return 已申报 (tax and date) or
// 零申报 (the same rule as the console's 报税看板 and the bot's 已申报 / 零申报 commands).
(function () {
  "use strict";
  var el = ZF.el;

  function markForm(base, r, today, done) {
    var amount = el("input", { inputmode: "decimal", placeholder: "税额（元）", "aria-label": r.tax + " 税额（元）",
      value: r.status !== "pending" && r.amount_fen ? (r.amount_fen / 100).toFixed(2) : "" });
    var day = el("input", { type: "date", max: today, value: r.filed_on || today, "aria-label": r.tax + " 申报日期" });
    function send(kind, button) {
      button.disabled = true;
      ZF.api("POST", base + "/filings/" + r.id + "/mark", { kind: kind, amount: amount.value, filed_on: day.value })
        .then(function () { ZF.toast(r.tax + (kind === "zero" ? " 已标记零申报" : " 已标记已申报")); done(); })
        .catch(function (e) { button.disabled = false; ZF.toast(e.message, true); });
    }
    return el("div", { class: "edit mark", hidden: "" }, [el("div", { class: "inline" }, [amount, day]),
      el("div", { class: "actions" }, [
        el("button", { type: "button", class: "orange", text: "已申报", onclick: function (e) { send("filed", e.target); } }),
        el("button", { type: "button", class: "secondary", text: "零申报", onclick: function (e) { send("zero", e.target); } })])]);
  }

  function row(base, r, today, reload) {
    var editor = markForm(base, r, today, reload);
    return el("div", { class: "item top" }, [el("div", { class: "grow" }, [el("b", { text: r.tax }),
      el("div", { class: "meta", text: (r.amount_fen ? "税额 " + ZF.yuan(r.amount_fen) : "零申报") + (r.filed_on ? " · " + r.filed_on + " 申报" : "") }),
      editor]),
      el("div", { class: "filing-side" }, [el("span", { class: "badge " + r.status + (r.overdue ? " overdue" : ""),
        text: (r.state === "zero" ? "零申报" : r.status_label) + (r.overdue ? "（已逾期）" : "") }),
        el("button", { type: "button", class: "link", text: r.status === "pending" ? "标记申报" : "更正",
          onclick: function () { editor.hidden = !editor.hidden; } })])]);
  }

  function show(box, base, period) {
    ZF.api("GET", base + "/filings?period=" + period).then(function (d) {
      var reload = function () { show(box, base, d.period); };
      box.innerHTML = "";
      box.appendChild(el("div", { class: "inline bar2" }, [ZF.periodPicker(d.periods, d.period, function (p) { show(box, base, p); }),
        el("button", { type: "button", text: "报税完成通知", onclick: function () { ZF.sendTextFrom("GET", base + "/filings/notice?period=" + d.period); } })]));
      if (!d.groups.length) { box.appendChild(el("p", { class: "empty", text: d.period_label + "没有申报记录" })); }
      d.groups.forEach(function (g) {
        var card = el("section", { class: "card" }, [el("h3", { text: g.title })]);
        g.rows.forEach(function (r) { card.appendChild(row(base, r, d.today, reload)); });
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
