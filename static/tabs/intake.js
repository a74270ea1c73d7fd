// 收票 (B4): records by period; 新增收票 / edit with 保存 or 保存并标记完成; 查看详情; 分享 the detail image.
(function () {
  "use strict";
  var el = ZF.el;

  function form(base, box, period, kinds, detail) {
    box.innerHTML = "";
    var periodInput = el("select", { "aria-label": "收票期间" });
    ZF.collectionPeriods.forEach(function (p) {
      var o = el("option", { value: p, text: ZF.periodLabel(p) }); if (p === period) { o.selected = true; }
      periodInput.appendChild(o);
    });
    if (detail) { periodInput.disabled = true; }
    // A period that already has a record opens it for editing, so saving never blanks what was recorded.
    periodInput.addEventListener("change", function () {
      ZF.api("GET", base + "/collections/" + periodInput.value)
        .then(function (found) { form(base, box, periodInput.value, kinds, found); }).catch(function () {});
    });
    var rows = Object.keys(kinds).map(function (kind) {
      var had = detail ? detail.items.filter(function (i) { return i.kind === kind; })[0] : null;
      var got = el("input", { type: "checkbox", "aria-label": kinds[kind] + "已收到" });
      got.checked = !!(had && had.received);
      var count = el("input", { type: "number", min: "0", max: "9999", value: String(had ? had.count : 0), class: "count", "aria-label": kinds[kind] + "张数" });
      var note = el("input", { value: had ? had.note : "", placeholder: "备注", "aria-label": kinds[kind] + "备注" });
      return { kind: kind, got: got, count: count, note: note,
        node: el("div", { class: "item" }, [el("label", { class: "check" }, [got, kinds[kind]]), count, note]) };
    });
    var note = el("textarea", { rows: "2", placeholder: "本期说明（可不填）", "aria-label": "本期说明" });
    note.value = detail ? detail.note : "";
    function save(complete) {
      var items = rows.map(function (r) {
        return { kind: r.kind, received: r.got.checked, count: Number(r.count.value || 0), note: r.note.value };
      });
      ZF.api("PUT", base + "/collections/" + periodInput.value, { items: items, note: note.value, complete: complete })
        .then(function (res) { ZF.toast(res.complete ? "已保存并标记本期收票完成" + (res.resolved_flags ? "，已同时解除 " + res.resolved_flags + " 条缺票标记" : "") : "已保存"); showDetail(base, box, periodInput.value, kinds); })
        .catch(function (e) { ZF.toast(e.message, true); });
    }
    box.appendChild(el("section", { class: "card" }, [el("h3", { text: detail ? "编辑收票" : "新增收票" }),
      el("div", { class: "inline" }, [el("span", { text: "期间" }), periodInput])]
      .concat(rows.map(function (r) { return r.node; }))
      .concat([note, el("div", { class: "actions" }, [
        el("button", { type: "button", class: "secondary", text: "返回", onclick: function () { ZF.reload(); } }),
        el("button", { type: "button", class: "secondary", text: "保存", onclick: function () { save(false); } }),
        el("button", { type: "button", text: "保存并标记完成", onclick: function () { save(true); } })])])));
  }

  function showDetail(base, box, period, kinds, edit) {
    ZF.api("GET", base + "/collections/" + period).then(function (d) {
      if (edit) { form(base, box, period, kinds, d); return; }
      box.innerHTML = "";
      var card = el("section", { class: "card" }, [el("h3", { text: d.period_label + " 收票详情" }),
        el("div", { class: "kv" }, [el("span", { text: "状态" }), el("b", { text: d.status_label })])]);
      d.items.forEach(function (i) {
        card.appendChild(el("div", { class: "item" }, [el("span", { text: (i.received ? "✓ " : "✗ ") + i.label }),
          el("em", { text: (i.count ? i.count + " 张" : "") + (i.note ? " " + i.note : "") })]));
      });
      if (d.note) { card.appendChild(el("p", { class: "meta", text: d.note })); }
      if (d.updated) { card.appendChild(el("p", { class: "meta", text: "更新于 " + d.updated })); }
      card.appendChild(el("div", { class: "actions" }, [
        el("button", { type: "button", class: "secondary", text: "返回", onclick: function () { ZF.reload(); } }),
        el("button", { type: "button", class: "secondary", text: "编辑", onclick: function () { form(base, box, period, kinds, d); } }),
        el("button", { type: "button", text: "分享", onclick: function () { ZF.sendMediaFrom("image", base + "/collections/" + period + "/image"); } })]));
      box.appendChild(card);
    }).catch(function (e) { ZF.toast(e.message, true); });
  }

  ZF.tab({ id: "intake", title: "收票", render: function (box) {
    if (!ZF.client) { return; }
    var base = "/sidebar/api/clients/" + ZF.client.id;
    ZF.api("GET", base + "/collections").then(function (d) {
      ZF.collectionPeriods = d.periods;
      var card = el("section", { class: "card" }, [el("div", { class: "head" }, [el("h3", { text: "收票记录" }),
        el("button", { type: "button", text: "新增收票", onclick: function () {
          var open = d.records.some(function (r) { return r.period === d.default_period; });
          if (open) { showDetail(base, box, d.default_period, d.kinds, true); } else { form(base, box, d.default_period, d.kinds, null); }
        } })])]);
      if (!d.records.length) { card.appendChild(el("p", { class: "empty", text: "还没有收票记录，点「新增收票」登记本期收到的票据" })); }
      d.records.forEach(function (r) {
        card.appendChild(el("div", { class: "item" }, [el("div", { class: "grow" }, [el("b", { text: r.period_label }),
          el("div", { class: "meta", text: r.status_label })]),
          el("button", { type: "button", class: "secondary", text: "查看详情", onclick: function () { showDetail(base, box, r.period, d.kinds); } })]));
      });
      box.appendChild(card);
      if (ZF.missingForm) { box.appendChild(ZF.missingForm(base, d.default_period)); }
    }).catch(function (e) { box.appendChild(el("p", { class: "error", text: e.message })); });
  } });
})();
