// Sandbox stand-in for @wecom/jssdk's `ww` (demo mode only): the chat comes from the page URL
// (?external_userid=… or ?chat_id=…), and what would be sent into the chat is recorded and shown.
(function () {
  "use strict";
  var params = new URLSearchParams(window.location.search);
  var sent = [];
  function record(kind, payload) {
    sent.push({ api: kind, payload: payload });
    if (window.parent && window.parent !== window) {
      window.parent.postMessage({ source: "zf-ww-stub", api: kind, payload: payload }, window.location.origin);
    }
  }
  window.__wwSent = sent;
  window.ww = {
    register: function (opts) {
      record("register", { corpId: opts.corpId, agentId: opts.agentId });
      // Exercise the real signing endpoint the way the SDK does.
      if (opts.getAgentConfigSignature) { opts.getAgentConfigSignature(window.location.href.split("#")[0]); }
    },
    getContext: function () {
      var entry = params.get("chat_id") ? "group_chat_tools" : (params.get("external_userid") ? "single_chat_tools" : "normal");
      return Promise.resolve({ entry: entry });
    },
    getCurExternalContact: function () {
      var id = params.get("external_userid");
      return id ? Promise.resolve({ userId: id }) : Promise.reject(new Error("getCurExternalContact:fail without context of external contact"));
    },
    getCurExternalChat: function () {
      var id = params.get("chat_id");
      return id ? Promise.resolve({ chatId: id }) : Promise.reject(new Error("getCurExternalChat:fail"));
    },
    sendChatMessage: function (msg) {
      record("sendChatMessage", msg);
      return Promise.resolve({ errMsg: "sendChatMessage:ok" });
    }
  };
})();
