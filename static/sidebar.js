// The sidebar skeleton: register the JS-SDK, find the current chat, show its linked clients.
(function () {
  "use strict";
  var app = document.getElementById("app");
  var statusEl = document.getElementById("status");
  var clientsEl = document.getElementById("clients");

  function show(text, isError) {
    statusEl.textContent = text;
    statusEl.className = isError ? "error" : "empty";
    statusEl.hidden = false;
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { "X-CSRF-Token": app.dataset.csrf } })
      .then(function (resp) {
        return resp.json().then(function (body) {
          if (!resp.ok) { throw new Error(body.error || "请求失败（" + resp.status + "）"); }
          return body;
        });
      });
  }

  function signer(kind) {
    return function (url) {
      return getJSON("/sidebar/api/jssdk?url=" + encodeURIComponent(url)).then(function (s) { return s[kind]; });
    };
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text) { node.textContent = text; }
    return node;
  }

  function render(ctx) {
    document.getElementById("chat-name").textContent = ctx.chat.name;
    clientsEl.innerHTML = "";
    if (!ctx.clients.length) {
      show(ctx.chat.type === "group" ? "这个客户群还没有关联客户。" : "这位联系人还没有关联客户。");
      return;
    }
    statusEl.hidden = true;
    ctx.clients.forEach(function (c) {
      var card = el("div", "card");
      card.appendChild(el("h2", "", c.name));
      card.appendChild(el("div", "meta", c.taxpayer + " · 客户经理 " + (c.manager || "未指定") +
        " · 会计 " + (c.accountant || "未指定")));
      clientsEl.appendChild(card);
    });
    clientsEl.hidden = false;
  }

  function load() {
    ww.register({
      corpId: app.dataset.corpId,
      agentId: Number(app.dataset.agentId),
      jsApiList: ["getContext", "getCurExternalContact", "getCurExternalChat", "sendChatMessage"],
      getConfigSignature: signer("config"),
      getAgentConfigSignature: signer("agentConfig")
    });
    ww.getContext().then(function (ctx) {
      if (ctx.entry === "single_chat_tools" || ctx.entry === "contact_profile") {
        return ww.getCurExternalContact().then(function (r) {
          return getJSON("/sidebar/api/context?external_userid=" + encodeURIComponent(r.userId));
        });
      }
      if (ctx.entry === "group_chat_tools") {
        return ww.getCurExternalChat().then(function (r) {
          return getJSON("/sidebar/api/context?chat_id=" + encodeURIComponent(r.chatId));
        });
      }
      throw new Error("请在与客户的单聊或客户群中打开侧边栏。");
    }).then(render).catch(function (err) {
      show(err && err.message ? err.message : "无法识别当前会话", true);
    });
  }

  if (typeof ww === "undefined") { show("企业微信 JS-SDK 未能加载，请检查网络后重试。", true); return; }
  load();
})();
