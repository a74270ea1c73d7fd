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

  // Links in pushed messages open as the selected member (the sandbox signs them in).
  function memberLink(url, text) {
    var a = document.createElement("a"); a.textContent = text; a.target = "_blank";
    var path = url.indexOf(window.location.origin) === 0 ? url.slice(window.location.origin.length) : url;
    a.href = path.charAt(0) === "/" ? "/sandbox/open?userid=" + encodeURIComponent(member()) +
      "&path=" + encodeURIComponent(path) : url;
    return a;
  }

  // WeCom's markdown subset, built as DOM nodes (never innerHTML): > quotes, **bold**,
  // <font color="info|comment|warning">, [text](url).
  var INLINE = /\*\*([^*]+)\*\*|<font color="(\w+)">([\s\S]*?)<\/font>|\[([^\]]+)\]\(([^)\s]+)\)/g;
  var COLORS = { info: "#2b9c42", comment: "#8f959e", warning: "#e37318" };
  function inline(text, into) {
    var last = 0, found, pattern = new RegExp(INLINE.source, "g");  // own lastIndex: inline() recurses
    while ((found = pattern.exec(text)) !== null) {
      into.appendChild(document.createTextNode(text.slice(last, found.index)));
      var node;
      if (found[1] !== undefined) { node = document.createElement("strong"); node.textContent = found[1]; }
      else if (found[2] !== undefined) { node = document.createElement("span"); node.style.color = COLORS[found[2]] || ""; inline(found[3], node); }
      else { node = memberLink(found[5], found[4]); }
      into.appendChild(node); last = pattern.lastIndex;
    }
    into.appendChild(document.createTextNode(text.slice(last)));
  }
  function markdown(text) {
    var box = document.createElement("div"); box.className = "md";
    text.split("\n").forEach(function (line) {
      var row = document.createElement("div");
      if (line.indexOf("> ") === 0) { row.className = "quote"; line = line.slice(2); }
      inline(line, row); box.appendChild(row);
    });
    return box;
  }
  // A textcard: title, the description's <div class="gray|normal|highlight"> parts, and its button.
  function textcard(c) {
    var box = document.createElement("div"); box.className = "card";
    var title = document.createElement("strong"); title.textContent = c.title || ""; box.appendChild(title);
    var parts = (c.description || "").split(/<div class="(gray|normal|highlight)">([\s\S]*?)<\/div>/);
    for (var i = 0; i < parts.length; i += 3) {
      if (parts[i].trim()) { var plain = document.createElement("div"); plain.textContent = parts[i]; box.appendChild(plain); }
      if (i + 2 < parts.length) { var d = document.createElement("div"); d.className = parts[i + 1]; d.textContent = parts[i + 2]; box.appendChild(d); }
    }
    if (c.url) { box.appendChild(memberLink(c.url, c.btntxt || "详情")); }
    return box;
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
      } else if (m.msgtype === "markdown") {
        div.appendChild(markdown((m.content || {}).content || ""));
      } else if (m.msgtype === "textcard") {
        div.appendChild(textcard(m.content || {}));
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
    var media = p[p.msgtype] && p[p.msgtype].mediaid;
    if (media && p.msgtype === "image") {
      li.appendChild(document.createTextNode("图片："));
      var img = document.createElement("img"); img.src = "/sandbox/api/media/" + encodeURIComponent(media);
      img.style.maxWidth = "100%"; img.style.display = "block"; li.appendChild(img);
    } else if (media) {
      var a = document.createElement("a"); a.href = "/sandbox/api/media/" + encodeURIComponent(media);
      a.textContent = "文件（点击下载）"; li.appendChild(a);
    } else {
      li.textContent = p.msgtype + "：" + (p.text ? p.text.content : JSON.stringify(p[p.msgtype] || {}));
    }
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
  // 立即运行提醒: run a reminder job now; its digests then arrive in the pushed panel of each recipient.
  document.querySelectorAll("#jobs button[data-job]").forEach(function (b) {
    var out = document.querySelector('[data-result="' + b.dataset.job + '"]');
    b.addEventListener("click", function () {
      b.disabled = true; out.textContent = "运行中…";
      fetch("/sandbox/api/jobs/run", { method: "POST", headers: { "Content-Type": "application/json" },
                                      body: JSON.stringify({ job: b.dataset.job }) })
        .then(function (r) { return r.json(); })
        .then(function (res) {
          if (res.error) { out.textContent = res.error; return; }
          var text = "需提醒 " + res.found + " 条，本次新排队 " + res.new + " 条";
          if (res.found && !res.new) { text += "（都已推送过，不会重复发送）"; }
          if (res.unassigned) { text += "，" + res.unassigned + " 条没有已绑定的负责人"; }
          out.textContent = text + "。";
          poll();
        })
        .catch(function () { out.textContent = "运行失败，请查看服务器日志"; })
        .then(function () { b.disabled = false; });
    });
  });
  $("enter-agent").addEventListener("click", function () { bubble("sys", "（进入应用）"); send({ event: "enter_agent" }); });
  $("contact").addEventListener("change", function () { $("group").value = ""; openSidebar("external_userid", this.value); });
  $("group").addEventListener("change", function () { $("contact").value = ""; openSidebar("chat_id", this.value); });
})();
