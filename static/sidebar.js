// The sidebar shell: sign the JS-SDK, find the current chat, pick the client, and host the tabs.
// Tabs live in static/tabs/*.js and register themselves with ZF.tab({id, title, render(box, ctx)}).
(function () {
  "use strict";
  var app = document.getElementById("app");
  var ZF = window.ZF = { tabs: [], chat: {}, client: null, clients: [] };

  ZF.el = function (tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") { node.textContent = attrs[k]; }
      else if (k === "class") { node.className = attrs[k]; }
      else if (k.slice(0, 2) === "on") { node.addEventListener(k.slice(2), attrs[k]); }
      else { node.setAttribute(k, attrs[k]); }
    });
    (children || []).forEach(function (c) { if (c) { node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); } });
    return node;
  };

  ZF.api = function (method, path, body) {
    var q = new URLSearchParams(ZF.chat);
    var url = path + (path.indexOf("?") >= 0 ? "&" : "?") + q.toString();
    var opts = { method: method, credentials: "same-origin", headers: { "X-CSRF-Token": app.dataset.csrf } };
    if (body instanceof FormData) { opts.body = body; }
    else if (body !== undefined) { opts.body = JSON.stringify(body); opts.headers["Content-Type"] = "application/json"; }
    return fetch(url, opts).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (data) {
        if (!resp.ok) { throw new Error(data.error || "请求失败（" + resp.status + "），请稍后重试"); }
        return data;
      });
    }, function () { throw new Error("网络不通，请检查网络后重试"); });
  };

  ZF.toast = function (text, isError) {
    var t = document.getElementById("toast");
    t.textContent = text; t.className = "toast show" + (isError ? " error" : "");
    clearTimeout(ZF._toastTimer);
    ZF._toastTimer = setTimeout(function () { t.className = "toast"; }, 2600);
  };

  ZF.sendText = function (content) {
    return ww.sendChatMessage({ msgtype: "text", enterChat: true, text: { content: content } })
      .then(function () { ZF.toast("已放入聊天框，确认后发送"); })
      .catch(function (e) { ZF.toast("发送失败：" + (e && e.errMsg || e), true); });
  };

  ZF.sendMedia = function (kind, mediaid) {
    var msg = { msgtype: kind, enterChat: true };
    msg[kind] = { mediaid: mediaid };
    return ww.sendChatMessage(msg).then(function () { ZF.toast("已放入聊天框，确认后发送"); })
      .catch(function (e) { ZF.toast("发送失败：" + (e && e.errMsg || e), true); });
  };

  ZF.tab = function (spec) { ZF.tabs.push(spec); };

  // Shared by the tabs: money as the server sends it (integer fen), and "ask the server, then into the chat".
  ZF.yuan = function (fen) {
    var sign = fen < 0 ? "-" : "", a = Math.abs(fen);
    return sign + "¥" + Math.floor(a / 100).toLocaleString("en-US") + "." + String(a % 100).padStart(2, "0");
  };
  ZF.periodLabel = function (p) { return Number(p.slice(0, 4)) + "年" + Number(p.slice(5)) + "月"; };
  ZF.periodPicker = function (periods, current, onchange) {
    var sel = ZF.el("select", { "aria-label": "期间", onchange: function () { onchange(sel.value); } });
    (periods.indexOf(current) < 0 ? [current].concat(periods) : periods).forEach(function (p) {
      var o = ZF.el("option", { value: p, text: ZF.periodLabel(p) }); if (p === current) { o.selected = true; }
      sel.appendChild(o);
    });
    return sel;
  };
  ZF.sendTextFrom = function (method, path, body) {
    return ZF.api(method, path, body).then(function (r) { return ZF.sendText(r.text); })
      .catch(function (e) { ZF.toast(e.message, true); });
  };
  ZF.sendMediaFrom = function (kind, path) {
    ZF.toast(kind === "image" ? "正在生成图片…" : "正在生成文件…");
    return ZF.api("POST", path).then(function (r) { return ZF.sendMedia(kind, r.media_id); })
      .catch(function (e) { ZF.toast(e.message, true); });
  };

  function show(text, isError) {
    var s = document.getElementById("status");
    s.textContent = text; s.className = isError ? "error" : "empty"; s.hidden = false;
  }

  function signer(kind) {
    return function (url) {
      return fetch("/sidebar/api/jssdk?url=" + encodeURIComponent(url), { credentials: "same-origin" })
        .then(function (r) { return r.json(); }).then(function (s) { return s[kind]; });
    };
  }

  function openTab(id) {
    ZF.current = id;
    document.querySelectorAll(".tabs button").forEach(function (b) { b.classList.toggle("on", b.dataset.id === id); });
    var panel = document.getElementById("panel");
    // A fresh box per opening: answers that arrive after the member switched tabs land in a detached node.
    var box = document.createElement("div");
    panel.innerHTML = "";
    panel.appendChild(box);
    var tab = ZF.tabs.filter(function (t) { return t.id === id; })[0];
    if (!ZF.client) { box.appendChild(ZF.el("p", { class: "empty", text: "当前会话还没有关联客户，请在「基础资料」中关联。" })); }
    try { tab.render(box, ZF); } catch (e) { box.appendChild(ZF.el("p", { class: "error", text: "加载失败：" + e.message })); }
  }
  ZF.reload = function () { openTab(ZF.current); };

  function renderShell(ctx) {
    document.getElementById("chat-name").textContent = ctx.chat.name + (ctx.chat.type === "group" ? "（客户群）" : "");
    ZF.clients = ctx.clients;
    // Keep the client picked on this page; otherwise the server's choice (sidebar/choice.py): the one whose
    // name matches the chat, the one last picked here, the member's own.
    var byId = function (id) { return ZF.clients.filter(function (c) { return c.id === id; })[0]; };
    ZF.client = (ZF.client && byId(ZF.client.id)) || byId(ctx.selected) || ZF.clients[0] || null;
    var picker = document.getElementById("client-picker");
    picker.innerHTML = "";
    if (ZF.client) {
      picker.appendChild(ZF.el("span", { class: "label", text: "当前客户" }));
      picker.appendChild(ZF.el("strong", { class: "current", text: ZF.client.name }));
    }
    if (ZF.clients.length > 1) {
      var sel = ZF.el("select", { "aria-label": "切换客户", onchange: function () {
        ZF.client = byId(Number(sel.value));
        picker.querySelector(".current").textContent = ZF.client.name;
        ZF.api("POST", "/sidebar/api/context/client", { client_id: ZF.client.id }).catch(function () {});
        ZF.reload();
      } });
      ZF.clients.forEach(function (c) {
        var o = ZF.el("option", { value: String(c.id), text: c.name }); if (c.id === ZF.client.id) { o.selected = true; }
        sel.appendChild(o);
      });
      picker.appendChild(ZF.el("span", { class: "meta", text: "本会话关联了 " + ZF.clients.length + " 个客户，可切换：" }));
      picker.appendChild(sel);
    }
    var bar = document.getElementById("tabs");
    if (!bar.childNodes.length) {
      ZF.tabs.forEach(function (t) {
        bar.appendChild(ZF.el("button", { type: "button", "data-id": t.id, text: t.title, onclick: function () { openTab(t.id); } }));
      });
    }
    document.getElementById("status").hidden = true;
    document.getElementById("workspace").hidden = false;
    openTab(ZF.current || ZF.tabs[0].id);
  }

  ZF.refreshContext = function () {
    return ZF.api("GET", "/sidebar/api/context").then(renderShell);
  };

  function start() {
    ww.register({
      corpId: app.dataset.corpId, agentId: Number(app.dataset.agentId),
      jsApiList: ["getContext", "getCurExternalContact", "getCurExternalChat", "sendChatMessage"],
      getConfigSignature: signer("config"), getAgentConfigSignature: signer("agentConfig")
    });
    ww.getContext().then(function (c) {
      if (c.entry === "single_chat_tools" || c.entry === "contact_profile") {
        return ww.getCurExternalContact().then(function (r) { ZF.chat = { external_userid: r.userId }; });
      }
      if (c.entry === "group_chat_tools") {
        return ww.getCurExternalChat().then(function (r) { ZF.chat = { chat_id: r.chatId }; });
      }
      throw new Error("请在与客户的单聊或客户群中打开侧边栏。");
    }).then(ZF.refreshContext).catch(function (err) { show(err && err.message ? err.message : "无法识别当前会话", true); });
  }

  window.addEventListener("load", function () {
    if (typeof ww === "undefined") { show("企业微信 JS-SDK 未能加载，请检查网络后重试。", true); return; }
    start();
  });
})();
