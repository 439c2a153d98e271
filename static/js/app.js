// 每个页面都加载: the behaviour that used to sit in onclick=/onsubmit= attributes and style="" attributes,
// which the Content-Security-Policy refuses, and the message shown when an htmx request is refused.
(function () {
  "use strict";

  // <form data-confirm="确定删除？">: ask before submitting. Capture phase, so htmx never sees a cancelled submit.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-confirm")) { return; }
    if (!window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // <button data-print>: print the page.
  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("[data-print]") : null;
    if (button) { window.print(); }
  });

  // Sizes that vary with the data: numbers only, applied through the CSSOM (which the policy allows).
  var SIZES = [
    ["wmIndent", "paddingLeft", "rem"],
    ["wmLeft", "left", "%"],
    ["wmWidth", "width", "%"],
    ["wmTop", "top", "rem"],
    ["wmHeight", "height", "rem"]
  ];
  function applySizes(root) {
    var nodes = root.querySelectorAll("[data-wm-indent],[data-wm-left],[data-wm-width],[data-wm-top],[data-wm-height]");
    Array.prototype.forEach.call(nodes, function (node) {
      SIZES.forEach(function (size) {
        var value = parseFloat(node.dataset[size[0]]);
        if (isFinite(value)) { node.style[size[1]] = value + size[2]; }
      });
      var left = parseFloat(node.dataset.wmLeft);
      if (isFinite(left) && node.dataset.wmWidth !== undefined) { node.style.maxWidth = Math.max(0, 100 - left) + "%"; }
    });
  }

  // A refused htmx request (403 with the view's reason, 404, 400, 500) shows its message instead of doing nothing.
  function requestErrorText(xhr) {
    if (xhr && xhr.responseText) {
      var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
      var node = doc.querySelector("[data-error-message]");
      if (node && node.textContent.trim()) { return node.textContent.trim(); }
    }
    if (xhr && xhr.status === 403) { return "您没有权限进行此操作。"; }
    if (xhr && xhr.status === 404) { return "要操作的内容不存在或已被删除。"; }
    if (xhr && xhr.status >= 500) { return "服务器出错了，请稍后再试。"; }
    return "请求未成功，请检查填写的内容后重试。";
  }
  function showRequestError(text) {
    var box = document.getElementById("wm-request-errors");
    if (!box) {
      box = document.createElement("div");
      box.id = "wm-request-errors";
      document.body.appendChild(box);
    }
    var alert = document.createElement("div");
    alert.className = "alert alert-danger alert-dismissible shadow-sm mb-2";
    alert.setAttribute("role", "alert");
    alert.setAttribute("data-testid", "request-error");
    alert.textContent = text;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close";
    close.setAttribute("data-bs-dismiss", "alert");
    close.setAttribute("aria-label", "关闭");
    alert.appendChild(close);
    box.appendChild(alert);
  }
  document.addEventListener("htmx:responseError", function (event) {
    showRequestError(requestErrorText(event.detail.xhr));
  });
  document.addEventListener("htmx:sendError", function () {
    showRequestError("无法连接服务器，请检查网络后重试。");
  });

  // <select multiple data-searchable-select>: a filter box above the list, a line naming what is chosen, and a click
  // that toggles one option without Ctrl. Without JavaScript the plain multi-select works as before.
  function enhanceSelect(select) {
    if (select.dataset.searchableReady) { return; }
    select.dataset.searchableReady = "1";
    var box = document.createElement("input");
    box.type = "search";
    box.className = "form-control form-control-sm mb-1";
    box.placeholder = "输入名称筛选";
    box.setAttribute("aria-label", (select.getAttribute("aria-label") || "选项") + " 筛选");
    var chosen = document.createElement("div");
    chosen.className = "small text-muted";
    chosen.setAttribute("data-chosen-for", select.name || "");
    select.parentNode.insertBefore(box, select);
    select.parentNode.insertBefore(chosen, select.nextSibling);
    function showChosen() {
      var names = [];
      Array.prototype.forEach.call(select.options, function (o) { if (o.selected) { names.push(o.textContent.trim()); } });
      chosen.textContent = names.length ? "已选：" + names.join("、") : "未选择";
    }
    box.addEventListener("input", function () {
      var query = box.value.trim().toLowerCase();
      Array.prototype.forEach.call(select.options, function (o) {
        o.hidden = query !== "" && !o.selected && o.textContent.toLowerCase().indexOf(query) === -1;
      });
    });
    box.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); }
    });
    select.addEventListener("mousedown", function (event) {
      var option = event.target;
      if (!(option instanceof HTMLOptionElement) || event.ctrlKey || event.metaKey || event.shiftKey) { return; }
      event.preventDefault();
      option.selected = !option.selected;
      select.dispatchEvent(new Event("change", { bubbles: true }));
      select.focus();
    });
    select.addEventListener("change", showChosen);
    showChosen();
  }
  function enhanceSelects(root) {
    Array.prototype.forEach.call(root.querySelectorAll("select[multiple][data-searchable-select]"), enhanceSelect);
  }

  if (window.htmx) {
    window.htmx.onLoad(applySizes);
    window.htmx.onLoad(enhanceSelects);
  } else {
    applySizes(document);
    enhanceSelects(document);
  }
})();
