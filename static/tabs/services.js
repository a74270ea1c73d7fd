// 服务 (B2): services with term and status; 到期提醒 and 缺票提醒 into the chat.
(function () {
  "use strict";
  var el = ZF.el;

  function serviceRow(base, s) {
    var left = s.days_left >= 0 ? "还剩 " + s.days_left + " 天" : (s.one_off ? "已超期 " : "已过期 ") + (-s.days_left) + " 天";
    var open = s.status === "active" || s.status === "expired";
    var term = s.one_off ? "办理期限 " + s.end + "（一次性事项）" : s.start + " 至 " + s.end;
    return el("div", { class: "item" }, [
      el("div", { class: "grow" }, [
        el("div", {}, [el("b", { text: s.kind_label + "·" + s.name }), " ", el("span", { class: "badge " + s.status, text: s.status_label })]),
        el("div", { class: "meta", text: term + (open ? "（" + left + "）" : "") })
      ]),
      s.remindable ? el("button", { type: "button", class: s.soon || s.status === "expired" ? "" : "secondary", text: "到期提醒",
        onclick: function () { ZF.sendTextFrom("GET", base + "/services/" + s.id + "/reminder"); } }) : null
    ]);
  }

  function missingRow(base, m) {
    return el("div", { class: "item" }, [
      el("div", { class: "grow" }, [el("b", { text: m.period_label + " 缺票" }), el("div", { class: "meta", text: m.note || "会计已标记缺票" })]),
      el("button", { type: "button", text: "缺票提醒", onclick: function () { ZF.sendTextFrom("GET", base + "/missing/" + m.id + "/reminder"); } }),
      el("button", { type: "button", class: "secondary", text: "已补齐", onclick: function () {
        ZF.api("POST", base + "/missing/" + m.id + "/resolve", {}).then(function () { ZF.toast(m.period_label + " 缺票已处理"); ZF.reload(); })
          .catch(function (e) { ZF.toast(e.message, true); });
      } })
    ]);
  }

  // 标记缺票: a small form shared by the 服务 tab and the 收票 tab (one endpoint, one rule).
  ZF.missingForm = function (base, period) {
    var month = el("input", { type: "month", value: period || "" });
    var note = el("input", { type: "text", maxlength: "500", placeholder: "缺票说明，例如 缺少10月进项发票3张" });
    return el("section", { class: "card missing-form" }, [el("h3", { text: "标记缺票" }), month, note,
      el("div", { class: "actions" }, [el("button", { type: "button", text: "标记缺票", onclick: function () {
        ZF.api("POST", base + "/missing", { period: month.value, note: note.value })
          .then(function (d) { ZF.toast("已标记 " + d.period_label + " 缺票"); ZF.reload(); })
          .catch(function (e) { ZF.toast(e.message, true); });
      } })])]);
  };

  ZF.tab({ id: "services", title: "服务", render: function (box) {
    if (!ZF.client) { return; }
    var base = "/sidebar/api/clients/" + ZF.client.id;
    ZF.api("GET", base + "/services").then(function (d) {
      var card = el("section", { class: "card" }, [el("h3", { text: "服务情况" })]);
      if (!d.services.length) { card.appendChild(el("p", { class: "empty", text: "该客户还没有记账或工商服务记录" })); }
      d.services.forEach(function (s) { card.appendChild(serviceRow(base, s)); });
      box.appendChild(card);
      if (d.missing.length) {
        var flags = el("section", { class: "card" }, [el("h3", { text: "缺票提醒" })]);
        d.missing.forEach(function (m) { flags.appendChild(missingRow(base, m)); });
        box.appendChild(flags);
      }
      box.appendChild(ZF.missingForm(base, ""));
    }).catch(function (e) { box.appendChild(el("p", { class: "error", text: e.message })); });
  } });
})();
