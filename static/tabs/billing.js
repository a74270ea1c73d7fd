// 收款 (B3): what is owed and the contracts; tick items, adjust period and amount (修改), 催款提醒 into the chat;
// 收款 with a confirm step and a receipt number (date received, payer, account and note print on the receipt; what is
// more than the ticked items is kept as the client's credit); 收款记录, 发送收据 and 作废 with a reason; 用余额抵扣.
(function () {
  "use strict";
  var el = ZF.el;

  function fenText(fen) { return (fen / 100).toFixed(2); }

  function itemRow(r, state) {
    state.check = el("input", { type: "checkbox", "aria-label": "勾选 " + r.item + " " + r.periods });
    state.check.checked = r.overdue;
    state.start = el("input", { type: "month", value: r.period_start, "aria-label": "起始期间" });
    state.end = el("input", { type: "month", value: r.period_end, "aria-label": "结束期间" });
    state.amount = el("input", { inputmode: "decimal", value: fenText(r.outstanding_fen), "aria-label": "金额（元）" });
    var editor = el("div", { class: "edit", hidden: "" }, [el("div", { class: "inline" }, [el("span", { text: "起始期间" }), state.start]),
      el("div", { class: "inline" }, [el("span", { text: "结束期间" }), state.end]),
      el("div", { class: "inline" }, [el("span", { text: "催收金额" }), state.amount])]);
    return el("div", { class: "item top" }, [state.check, el("div", { class: "grow" }, [
      el("div", {}, [el("b", { text: r.item }), " ", el("span", { class: "badge " + (r.overdue ? "expired" : "active"), text: r.overdue ? "已逾期" : "未逾期" })]),
      el("div", { class: "meta", text: r.periods + " · 未收 " + ZF.yuan(r.outstanding_fen) + " · " + r.due + " 到期" }), editor]),
      el("button", { type: "button", class: "link", text: "修改", onclick: function () { editor.hidden = !editor.hidden; } })]);
  }

  function ticked(states) { return states.filter(function (s) { return s.check.checked; }); }

  function remind(base, states) {
    var chosen = ticked(states);
    if (!chosen.length) { ZF.toast("请先勾选要催款的款项", true); return; }
    ZF.sendTextFrom("POST", base + "/billing/reminder", { items: chosen.map(function (s) {
      return { id: s.r.id, period_start: s.start.value, period_end: s.end.value, amount: s.amount.value };
    }) });
  }

  function receiptButton(base, p) {
    var button = el("button", { type: "button", class: "secondary", text: "发送收据",
      onclick: function () { ZF.sendMediaFrom("image", base + "/payments/" + p.id + "/receipt"); } });
    button.disabled = p.voided;
    return button;
  }

  function confirmStep(base, order, preview, area) {
    area.innerHTML = "";
    var rows = preview.rows.map(function (r) {
      return el("div", { class: "kv" }, [el("span", { text: r.item + "（" + r.periods + "）" }),
        el("b", { text: ZF.yuan(r.amount_fen) + (r.left_fen ? "，尚欠 " + ZF.yuan(r.left_fen) : "，结清") })]);
    });
    area.appendChild(el("section", { class: "card confirm" }, [el("h3", { text: "确认收款" }),
      el("div", { class: "kv" }, [el("span", { text: "金额" }), el("b", { text: ZF.yuan(preview.amount_fen) })]),
      el("div", { class: "kv" }, [el("span", { text: "大写" }), el("b", { text: preview.upper })]),
      el("div", { class: "kv" }, [el("span", { text: "方式" }), el("b", { text: preview.method_label })]),
      el("div", { class: "kv" }, [el("span", { text: "收款日期" }), el("b", { text: preview.paid_on })]),
      el("div", { class: "kv" }, [el("span", { text: "付款人" }), el("b", { text: preview.payer })]),
      preview.account ? el("div", { class: "kv" }, [el("span", { text: "收款账户" }), el("b", { text: preview.account })]) : null,
      preview.note ? el("div", { class: "kv" }, [el("span", { text: "备注" }), el("b", { text: preview.note })]) : null,
      el("h4", { text: "按到期先后冲抵" })].concat(rows).concat([
      preview.credit_fen ? el("div", { class: "kv" }, [el("span", { text: "存入客户余额（预收）" }), el("b", { text: ZF.yuan(preview.credit_fen) })]) : null,
      el("div", { class: "actions" }, [
        el("button", { type: "button", class: "secondary", text: "返回修改", onclick: function () { area.innerHTML = ""; } }),
        el("button", { type: "button", class: "orange", text: "确定收款", onclick: function (e) {
          e.target.disabled = true;
          ZF.api("POST", base + "/payments", Object.assign({ plan: preview.plan }, order)).then(function (done) {
            ZF.toast("已登记收款，收据号 " + done.payment.receipt_no);
            ZF.lastPayment = done.payment;
            ZF.reload();
          }).catch(function (err) { e.target.disabled = false; ZF.toast(err.message, true); });
        } })])])));
  }

  function payForm(base, states, area) {
    var chosen = ticked(states);
    if (!chosen.length) { ZF.toast("请先勾选要收款的款项", true); return; }
    var total = chosen.reduce(function (sum, s) { return sum + s.r.outstanding_fen; }, 0);
    var amount = el("input", { inputmode: "decimal", value: fenText(total), "aria-label": "收款金额（元）" });
    var method = el("select", { "aria-label": "收款方式" });
    Object.keys(ZF.billing.methods).forEach(function (k) { method.appendChild(el("option", { value: k, text: ZF.billing.methods[k] })); });
    var paidOn = el("input", { type: "date", value: ZF.billing.today, max: ZF.billing.today, "aria-label": "收款日期" });
    var payer = el("input", { maxlength: "64", placeholder: "付款人（默认客户名称）", "aria-label": "付款人" });
    var account = el("input", { maxlength: "32", placeholder: "收款账户，如 基本户", "aria-label": "收款账户" });
    var note = el("input", { maxlength: "60", placeholder: "备注（印在收据上）", "aria-label": "备注" });
    area.innerHTML = "";
    area.appendChild(el("section", { class: "card" }, [el("h3", { text: "新增收款" }),
      el("div", { class: "form" }, [amount, method, paidOn, payer, account, note, el("button", { type: "button", class: "orange", text: "下一步", onclick: function () {
        var order = { amount: amount.value, method: method.value, paid_on: paidOn.value, payer: payer.value,
          account: account.value, note: note.value, receivable_ids: chosen.map(function (s) { return s.r.id; }) };
        ZF.api("POST", base + "/payments/preview", order).then(function (p) { confirmStep(base, order, p, area); })
          .catch(function (e) { ZF.toast(e.message, true); });
      } })])]));
  }

  // 作废: the reason is typed in the row itself (no browser prompt), then the receipt is voided.
  function voidEditor(base, p, row, area) {
    var reason = el("input", { maxlength: "100", placeholder: "作废原因（必填）", "aria-label": "作废原因" });
    var box = el("div", { class: "form void" }, [reason, el("div", { class: "actions" }, [
      el("button", { type: "button", class: "secondary", text: "取消", onclick: function () { box.remove(); } }),
      el("button", { type: "button", class: "orange", text: "确认作废", onclick: function (e) {
        if (!reason.value.trim()) { ZF.toast("请填写作废原因", true); return; }
        e.target.disabled = true;
        ZF.api("POST", base + "/payments/" + p.id + "/void", { reason: reason.value }).then(function (r) {
          ZF.toast("已作废收据 " + r.payment.receipt_no);
          history(base, area);
        }).catch(function (err) { e.target.disabled = false; ZF.toast(err.message, true); });
      } })])]);
    row.appendChild(box);
    reason.focus();
  }

  function history(base, area) {
    ZF.api("GET", base + "/payments").then(function (list) {
      area.innerHTML = "";
      var card = el("section", { class: "card" }, [el("h3", { text: "收款记录" })]);
      if (!list.length) { card.appendChild(el("p", { class: "empty", text: "还没有收款记录" })); }
      list.forEach(function (p) {
        var info = el("div", { class: "grow" }, [
          el("b", { text: ZF.yuan(p.amount_fen) + " · " + p.method_label + (p.voided ? "（已作废）" : "") }),
          el("div", { class: "meta", text: p.paid_on + " · 收据号 " + p.receipt_no + (p.note ? " · " + p.note : "") }),
          p.voided ? el("div", { class: "meta", text: "作废原因：" + p.void_reason }) : null]);
        var row = el("div", { class: "item" }, [info, receiptButton(base, p), p.voided ? null : el("button", {
          type: "button", class: "link", text: "作废", "aria-label": "作废收据 " + p.receipt_no,
          onclick: function () { if (!info.querySelector(".void")) { voidEditor(base, p, info, area); } } })]);
        card.appendChild(row);
      });
      area.appendChild(card);
    }).catch(function (e) { ZF.toast(e.message, true); });
  }

  function contracts(list) {
    var card = el("section", { class: "card" }, [el("h3", { text: "合同" })]);
    if (!list.length) { card.appendChild(el("p", { class: "empty", text: "没有合同记录" })); }
    list.forEach(function (c) {
      card.appendChild(el("div", { class: "item" }, [el("div", { class: "grow" }, [el("b", { text: c.title }),
        el("div", { class: "meta", text: c.number + " · " + c.start + " 至 " + c.end })]),
        el("em", { text: ZF.yuan(c.amount_fen) + " " + c.status_label })]));
    });
    return card;
  }

  ZF.tab({ id: "billing", title: "收款", render: function (box) {
    if (!ZF.client) { return; }
    var base = "/sidebar/api/clients/" + ZF.client.id;
    ZF.api("GET", base + "/billing").then(function (d) {
      ZF.billing = d;
      var states = d.receivables.map(function (r) { return { r: r }; });
      var area = el("div", {});
      var card = el("section", { class: "card" }, [el("h3", { text: "欠费情况" }),
        el("div", { class: "kv" }, [el("span", { text: "已逾期未收" }), el("b", { class: "due", text: ZF.yuan(d.due_fen) })]),
        el("div", { class: "kv" }, [el("span", { text: "未逾期（含今天到期）" }), el("b", { text: ZF.yuan(d.later_fen) })])]);
      if (d.credit_fen) {
        card.appendChild(el("div", { class: "kv" }, [el("span", { text: "客户余额（预收）" }), el("b", { text: ZF.yuan(d.credit_fen) })]));
      }
      if (!d.receivables.length) { card.appendChild(el("p", { class: "empty", text: "该客户没有未收款项" })); }
      states.forEach(function (s) { card.appendChild(itemRow(s.r, s)); });
      card.appendChild(el("div", { class: "actions" }, [
        el("button", { type: "button", class: "secondary", text: "收款记录", onclick: function () { history(base, area); } }),
        d.receivables.length ? el("button", { type: "button", class: "secondary", text: "催款提醒", onclick: function () { remind(base, states); } }) : null,
        d.receivables.length && d.credit_fen ? el("button", { type: "button", class: "secondary", text: "用余额抵扣", onclick: function (e) {
          e.target.disabled = true;
          ZF.api("POST", base + "/credit/apply").then(function (r) { ZF.toast("已用余额抵扣 " + ZF.yuan(r.applied_fen)); ZF.reload(); })
            .catch(function (err) { e.target.disabled = false; ZF.toast(err.message, true); });
        } }) : null,
        d.receivables.length ? el("button", { type: "button", class: "orange", text: "收款", onclick: function () { payForm(base, states, area); } }) : null]));
      box.appendChild(card);
      if (ZF.lastPayment) {
        var p = ZF.lastPayment; ZF.lastPayment = null;
        box.appendChild(el("section", { class: "card done" }, [el("h3", { text: "已登记收款" }), el("div", { class: "item" }, [
          el("span", { text: ZF.yuan(p.amount_fen) + " · 收据号 " + p.receipt_no }), receiptButton(base, p)])]));
      }
      box.appendChild(area);
      box.appendChild(contracts(d.contracts));
    }).catch(function (e) { box.appendChild(el("p", { class: "error", text: e.message })); });
  } });
})();
