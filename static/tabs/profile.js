// 基础资料: company, people, tags; link this chat to clients (L4/L5).
(function () {
  "use strict";
  var el = ZF.el;

  function row(label, value) { return el("div", { class: "kv" }, [el("span", { text: label }), el("b", { text: value || "—" })]); }

  function linkBox() {
    var results = el("div", { class: "list" });
    var input = el("input", { type: "search", placeholder: "搜索客户名称、简称或拼音首字母", "aria-label": "搜索客户" });
    var go = el("button", { type: "button", class: "secondary", text: "搜索", onclick: function () {
      results.innerHTML = "";
      ZF.api("GET", "/sidebar/api/clients/search?q=" + encodeURIComponent(input.value)).then(function (list) {
        if (!list.length) { results.appendChild(el("p", { class: "empty", text: "没有找到匹配的客户" })); }
        list.forEach(function (c) {
          results.appendChild(el("div", { class: "item" }, [el("span", { text: c.name }),
            c.linked ? el("em", { text: "已关联" }) : el("button", { type: "button", text: "关联", onclick: function () {
              ZF.api("POST", "/sidebar/api/links", { client_id: c.id }).then(function () {
                ZF.toast("已关联：" + c.short_name); ZF.client = c; ZF.refreshContext();
              }).catch(function (e) { ZF.toast(e.message, true); });
            } })]));
        });
      }).catch(function (e) { ZF.toast(e.message, true); });
    } });
    return el("section", { class: "card" }, [el("h3", { text: "关联客户" }), el("div", { class: "inline" }, [input, go]), results]);
  }

  function contactForm(client) {
    var name = el("input", { placeholder: "姓名", "aria-label": "联系人姓名" });
    var title = el("input", { placeholder: "职务（老板/财务/出纳）", "aria-label": "职务" });
    var mobile = el("input", { placeholder: "手机号（可不填）", inputmode: "numeric", "aria-label": "手机号" });
    return el("form", { class: "form", onsubmit: function (e) {
      e.preventDefault();
      ZF.api("POST", "/sidebar/api/clients/" + client.id + "/contacts", { name: name.value, title: title.value, mobile: mobile.value })
        .then(function () { ZF.toast("已添加联系人"); ZF.reload(); }).catch(function (err) { ZF.toast(err.message, true); });
    } }, [name, title, mobile, el("button", { type: "submit", text: "添加联系人" })]);
  }

  function tagEditor(client, tags) {
    var input = el("input", { value: tags.join("，"), "aria-label": "标签，用逗号分隔" });
    return el("div", { class: "inline" }, [input, el("button", { type: "button", class: "secondary", text: "保存标签", onclick: function () {
      var list = input.value.split(/[,，\s]+/).filter(Boolean);
      ZF.api("PUT", "/sidebar/api/clients/" + client.id + "/tags", { tags: list })
        .then(function () { ZF.toast("标签已保存"); }).catch(function (e) { ZF.toast(e.message, true); });
    } })]);
  }

  ZF.tab({ id: "profile", title: "基础资料", render: function (box) {
    if (!ZF.client) { box.appendChild(linkBox()); return; }
    var client = ZF.client;
    ZF.api("GET", "/sidebar/api/clients/" + client.id + "/profile").then(function (p) {
      box.appendChild(el("section", { class: "card" }, [el("h3", { text: p.name }),
        row("纳税人类型", p.taxpayer + (p.vat_cycle ? "（" + p.vat_cycle + "申报）" : "")),
        row("税号", p.tax_id), row("客户经理", p.manager), row("会计", p.accountant),
        row("状态", p.status), row("微信联系人", p.wecom_contacts.map(function (c) { return c.name; }).join("、")),
        row("客户群", p.groups.map(function (g) { return g.name; }).join("、")),
        el("h4", { text: "标签" }), tagEditor(client, p.tags)]));
      var people = el("section", { class: "card" }, [el("h3", { text: "联系人" })]);
      if (!p.contacts.length) { people.appendChild(el("p", { class: "empty", text: "还没有联系人" })); }
      p.contacts.forEach(function (c) {
        people.appendChild(el("div", { class: "item" }, [el("span", { text: c.name + (c.title ? "（" + c.title + "）" : "") }), el("em", { text: c.mobile })]));
      });
      people.appendChild(contactForm(client));
      box.appendChild(people);
      box.appendChild(el("section", { class: "card" }, [el("h3", { text: "修改关联" }),
        el("button", { type: "button", class: "danger", text: "取消关联 " + client.short_name, onclick: function () {
          if (!window.confirm("确定取消当前会话与「" + client.name + "」的关联？")) { return; }
          ZF.api("DELETE", "/sidebar/api/links/" + client.id).then(function () { ZF.toast("已取消关联"); ZF.client = null; ZF.refreshContext(); })
            .catch(function (e) { ZF.toast(e.message, true); });
        } })]));
      box.appendChild(linkBox());
    }).catch(function (e) { box.appendChild(el("p", { class: "error", text: e.message })); });
  } });
})();
