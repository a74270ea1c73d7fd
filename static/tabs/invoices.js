// 发票 (B8): a period's output and input invoices, estimated VAT, 开票数据提醒 into the chat.
(function () {
  "use strict";
  var el = ZF.el;

  function totals(label, t) {
    return el("div", { class: "kv" }, [el("span", { text: label + " " + t.count + " 张" }),
      el("b", { text: ZF.yuan(t.amount_fen) + " / 税 " + ZF.yuan(t.tax_fen) })]);
  }

  function estimate(e) {
    var card = el("section", { class: "card" }, [el("h3", { text: "预估增值税" }), totals("销项", e.output), totals("进项", e.input)]);
    if (e.general && e.carried_in_fen) { card.appendChild(el("div", { class: "kv" }, [el("span", { text: "上期留抵" }), el("b", { text: ZF.yuan(e.carried_in_fen) })])); }
    card.appendChild(el("div", { class: "kv big" }, [el("span", { text: "预估应纳增值税" }), el("b", { text: ZF.yuan(e.payable_fen) })]));
    if (e.credit_fen) { card.appendChild(el("div", { class: "kv" }, [el("span", { text: "本期留抵（结转下期）" }), el("b", { text: ZF.yuan(e.credit_fen) })])); }
    // What the figure assumes, worded by templates/invoices/assumptions.txt as in the bot's reply and the client text.
    e.notes.forEach(function (line) { card.appendChild(el("p", { class: "meta", text: line })); });
    return card;
  }

  function list(box, base, d) {
    var card = el("section", { class: "card" });
    var switcher = el("div", { class: "seg" }, [["output", "销项"], ["input", "进项"]].map(function (x) {
      return el("button", { type: "button", class: d.direction === x[0] ? "on" : "", text: x[1], onclick: function () { show(box, base, d.period, x[0]); } });
    }));
    card.appendChild(switcher);
    if (!d.invoices.length) { card.appendChild(el("p", { class: "empty", text: "本期没有" + (d.direction === "output" ? "销项" : "进项") + "发票" })); }
    function add(rows) {
      rows.forEach(function (i) {
        card.insertBefore(el("div", { class: "item" + (i.status === "void" ? " void" : "") }, [el("div", { class: "grow" }, [
          el("b", { text: i.counterparty || i.number }),
          el("div", { class: "meta", text: i.issue_date + " · " + i.kind_label + " " + i.rate + (i.status !== "normal" ? " · " + i.status_label : "") })]),
          el("em", { text: ZF.yuan(i.amount_fen) + " / " + ZF.yuan(i.tax_fen) })]), more);
      });
    }
    var offset = d.offset;
    var more = el("button", { type: "button", class: "secondary", text: "加载更多", onclick: function () {
      offset += d.invoices.length;
      ZF.api("GET", base + "/invoices?period=" + d.period + "&direction=" + d.direction + "&offset=" + offset).then(function (n) {
        add(n.invoices); more.hidden = !n.more;
      }).catch(function (e) { ZF.toast(e.message, true); });
    } });
    more.hidden = !d.more;
    card.appendChild(more);
    add(d.invoices);
    return card;
  }

  function show(box, base, period, direction) {
    ZF.api("GET", base + "/invoices?period=" + period + "&direction=" + (direction || "output")).then(function (d) {
      box.innerHTML = "";
      box.appendChild(el("div", { class: "inline bar2" }, [ZF.periodPicker(d.periods, d.period, function (p) { show(box, base, p, d.direction); }),
        el("button", { type: "button", text: "开票数据提醒", onclick: function () { ZF.sendTextFrom("GET", base + "/invoices/reminder?period=" + d.period); } })]));
      box.appendChild(estimate(d.estimate));
      box.appendChild(list(box, base, d));
    }).catch(function (e) { box.appendChild(el("p", { class: "error", text: e.message })); });
  }

  ZF.tab({ id: "invoices", title: "发票", render: function (box) {
    if (!ZF.client) { return; }
    show(box, "/sidebar/api/clients/" + ZF.client.id, "", "output");
  } });
})();
