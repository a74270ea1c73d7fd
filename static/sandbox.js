// The simulator page: talks to /sandbox/api/* (demo mode only).
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var dir = null;
  var seenPushed = 0;

  function option(select, value, text) {
    var o = document.createElement("option"); o.value = value; o.textContent = text; select.appendChild(o);
  }
  function bubble(cls, text) {
    var b = document.createElement("div"); b.className = "bubble " + cls; b.textContent = text;
    $("chat").appendChild(b); $("chat").scrollTop = $("chat").scrollHeight;
  }
  function member() { return $("member").value; }

  function fillChats() {
    var uid = member();
    ["contact", "group"].forEach(function (id) { $(id).innerHTML = ""; option($(id), "", "（请选择）"); });
    dir.contacts.forEach(function (c) {
      if (c.followers.indexOf(uid) >= 0) { option($("contact"), c.external_userid, c.name + (c.corp_name ? "（" + c.corp_name + "）" : "")); }
    });
    dir.groups.forEach(function (g) {
      if (g.owner === uid || g.members.indexOf(uid) >= 0) { option($("group"), g.chat_id, g.name); }
    });
    var m = dir.members.filter(function (x) { return x.userid === uid; })[0];
    $("member-hint").textContent = m ? (m.position || "") + " · userid " + m.userid : "";
    $("chat").innerHTML = ""; seenPushed = 0;
    $("pushed").innerHTML = '<p class="hint">暂无。服务器通过 message/send 推送给该成员的消息会显示在这里。</p>';
  }

  function send(payload, label) {
    if (label) { bubble("me", label); }
    payload.userid = member();
    fetch("/sandbox/api/send", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(payload) })
      .then(function (r) { return r.json(); })
      .then(function (res) {
        if (res.error) { bubble("sys", res.error); return; }
        if (res.reply) { bubble("bot", res.reply); }
        else if (res.status === 200) { bubble("sys", "（服务器已确认收到，回复稍后通过推送送达）"); }
        else { bubble("sys", "回调被拒绝：HTTP " + res.status); }
      });
  }

  function renderPushed(list) {
    if (list.length === seenPushed) { return; }
    var box = $("pushed"); box.innerHTML = "";
    list.slice().reverse().forEach(function (m) {
      var div = document.createElement("div"); div.className = "item" + (m.dropped ? " dropped" : "");
      var head = new Date(m.at * 1000).toLocaleTimeString() + " · " + m.msgtype + (m.dropped ? " · 超出频率限制，企业微信已丢弃" : "");
      var h = document.createElement("div"); h.className = "hint"; h.textContent = head; div.appendChild(h);
      if (m.msgtype === "image" && m.media_url) {
        var img = document.createElement("img"); img.src = m.media_url; div.appendChild(img);
      } else if (m.msgtype === "file" && m.media_url) {
        var a = document.createElement("a"); a.href = m.media_url; a.textContent = m.filename || "文件"; div.appendChild(a);
      } else {
        var c = m.content || {};
        div.appendChild(document.createTextNode(c.content || ((c.title || "") + "\n" + (c.description || ""))));
      }
      box.appendChild(div);
      if (!m.dropped && seenPushed && m.msgtype === "text") { /* shown in the panel only */ }
    });
    seenPushed = list.length;
  }

  function poll() {
    if (!member()) { return; }
    fetch("/sandbox/api/messages?userid=" + encodeURIComponent(member()))
      .then(function (r) { return r.json(); }).then(renderPushed).catch(function () {});
  }

  function openSidebar(kind, value) {
    if (!value) { return; }
    $("ww-log").innerHTML = "";
    var q = "userid=" + encodeURIComponent(member()) + "&" + kind + "=" + encodeURIComponent(value);
    $("sidebar").src = "/sandbox/open-sidebar?" + q;
  }

  window.addEventListener("message", function (ev) {
    if (ev.origin !== window.location.origin || !ev.data || ev.data.source !== "zf-ww-stub") { return; }
    if (ev.data.api !== "sendChatMessage") { return; }
    var li = document.createElement("li"); var p = ev.data.payload || {};
    li.textContent = p.msgtype + "：" + (p.text ? p.text.content : JSON.stringify(p[p.msgtype] || {}));
    $("ww-log").appendChild(li);
  });

  fetch("/sandbox/api/directory").then(function (r) { return r.json(); }).then(function (d) {
    dir = d;
    d.members.forEach(function (m) { option($("member"), m.userid, m.name + "（" + m.userid + "）"); });
    fillChats();
    setInterval(poll, 1500);
  });
  $("member").addEventListener("change", fillChats);
  $("composer").addEventListener("submit", function (e) {
    e.preventDefault(); var t = $("content").value.trim(); if (!t) { return; }
    $("content").value = ""; send({ content: t }, t);
  });
  document.querySelectorAll(".quick button[data-text]").forEach(function (b) {
    b.addEventListener("click", function () { send({ content: b.dataset.text }, b.dataset.text); });
  });
  $("enter-agent").addEventListener("click", function () { bubble("sys", "（进入应用）"); send({ event: "enter_agent" }); });
  $("contact").addEventListener("change", function () { $("group").value = ""; openSidebar("external_userid", this.value); });
  $("group").addEventListener("change", function () { $("contact").value = ""; openSidebar("chat_id", this.value); });
})();
