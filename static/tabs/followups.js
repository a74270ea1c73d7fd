// 跟进 (B5): follow-up records; 新增跟进 with attachments (checked and stored by the server).
(function () {
  "use strict";
  var el = ZF.el;
  var ACCEPT = "image/png,image/jpeg,image/gif,image/webp,application/pdf,.docx,.xlsx,.pptx";

  function addForm(base, limits) {
    var text = el("textarea", { rows: "3", maxlength: "1000", placeholder: "跟进内容，例如：电话沟通10月收票，客户本周寄出进项发票", "aria-label": "跟进内容" });
    // The browser's own file button speaks the browser's language; this one always says 添加附件.
    var chosen = el("span", { class: "meta", text: "未选择附件" });
    var files = el("input", { type: "file", multiple: "", accept: ACCEPT, class: "hidden-file", "aria-label": "附件", onchange: function () {
      var names = Array.prototype.map.call(files.files, function (f) { return f.name; });
      chosen.textContent = names.length ? "已选 " + names.length + " 个：" + names.join("、") : "未选择附件";
    } });
    var picker = el("div", { class: "inline" }, [el("label", { class: "filebutton" }, ["添加附件", files]), chosen]);
    var save = el("button", { type: "submit", text: "保存" });
    return el("form", { class: "card form", onsubmit: function (e) {
      e.preventDefault();
      if (files.files.length > limits.max_files) { ZF.toast("每条跟进最多 " + limits.max_files + " 个附件", true); return; }
      var body = new FormData();
      body.append("content", text.value);
      Array.prototype.forEach.call(files.files, function (f) { body.append("files", f, f.name); });
      save.disabled = true;
      ZF.api("POST", base + "/followups", body).then(function () { ZF.toast("已保存跟进记录"); ZF.reload(); })
        .catch(function (err) { save.disabled = false; ZF.toast(err.message, true); });
    } }, [el("h3", { text: "新增跟进" }), text, picker,
      el("p", { class: "meta", text: "附件最多 " + limits.max_files + " 个，每个不超过 " + limits.max_mb + " MB；支持图片、PDF、Word、Excel、PPT" }), save]);
  }

  function attachment(a) {
    var link = el("a", { href: a.url, target: "_blank", rel: "noopener", text: a.filename });
    return el("div", { class: "file" }, [a.image ? el("img", { src: a.url, alt: a.filename, class: "thumb", loading: "lazy" }) : null, link]);
  }

  ZF.tab({ id: "followups", title: "跟进", render: function (box) {
    if (!ZF.client) { return; }
    var base = "/sidebar/api/clients/" + ZF.client.id;
    ZF.api("GET", base + "/followups").then(function (d) {
      box.appendChild(addForm(base, d));
      var card = el("section", { class: "card" }, [el("h3", { text: "跟进记录" })]);
      if (!d.followups.length) { card.appendChild(el("p", { class: "empty", text: "还没有跟进记录" })); }
      d.followups.forEach(function (f) {
        card.appendChild(el("div", { class: "note" }, [el("div", { class: "meta", text: f.at + (f.by ? " · " + f.by : "") }),
          el("p", { text: f.content })].concat(f.attachments.map(attachment))));
      });
      box.appendChild(card);
    }).catch(function (e) { box.appendChild(el("p", { class: "error", text: e.message })); });
  } });
})();
