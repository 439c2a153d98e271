/* 台账: upload a batch of files with a progress bar per file (one request, so the batch stays all or nothing). */
(function () {
  "use strict";
  var form = document.getElementById("ledger-upload");
  if (!form) { return; }
  var zone = document.getElementById("ledger-dropzone");
  var picker = document.getElementById("upload-files");
  var camera = document.getElementById("upload-camera");
  var list = document.getElementById("ledger-progress");
  var errorBox = document.getElementById("ledger-upload-error");
  var busy = false;

  function bar(file) {
    var row = document.createElement("div");
    row.className = "mb-1";
    row.setAttribute("data-testid", "upload-progress");
    var label = document.createElement("div");
    label.className = "small text-truncate";
    label.textContent = file.name + "（" + Math.max(1, Math.round(file.size / 1024)) + " KB）";
    var outer = document.createElement("div");
    outer.className = "progress";
    outer.setAttribute("role", "progressbar");
    outer.setAttribute("aria-label", file.name);
    outer.setAttribute("aria-valuemin", "0");
    outer.setAttribute("aria-valuemax", "100");
    var inner = document.createElement("div");
    inner.className = "progress-bar";
    inner.style.width = "0%";
    inner.textContent = "0%";
    outer.appendChild(inner);
    row.appendChild(label);
    row.appendChild(outer);
    list.appendChild(row);
    return { outer: outer, inner: inner };
  }

  function setBar(b, pct) {
    pct = Math.max(0, Math.min(100, Math.round(pct)));
    b.inner.style.width = pct + "%";
    b.inner.textContent = pct + "%";
    b.outer.setAttribute("aria-valuenow", String(pct));
  }

  function showError(text) {
    errorBox.textContent = text;
    errorBox.classList.remove("d-none");
  }

  function send(files) {
    if (busy || !files.length) { return; }
    errorBox.classList.add("d-none");
    errorBox.textContent = "";
    list.innerHTML = "";
    var maxFiles = parseInt(form.getAttribute("data-max-files"), 10) || 0;
    if (maxFiles && files.length > maxFiles) {
      // The server answers the same; saying it before sending spares the wait.
      showError("一次最多上传 " + maxFiles + " 个文件，请分批上传。本批文件均未保存。");
      return;
    }
    busy = true;
    var data = new FormData();
    data.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
    data.append("slot", form.querySelector("[name=slot]").value);
    data.append("caption", form.querySelector("[name=caption]").value);
    var bars = [];
    var ends = [];
    var total = 0;
    Array.prototype.forEach.call(files, function (f) {
      data.append("files", f, f.name);
      bars.push(bar(f));
      total += f.size;
      ends.push(total);
    });
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = function (e) {
      if (!e.lengthComputable) { return; }
      // One request carries the batch: share the bytes sent out to the files in order.
      var sent = e.loaded / e.total * total;
      bars.forEach(function (b, i) {
        var start = i ? ends[i - 1] : 0;
        var size = ends[i] - start || 1;
        setBar(b, (sent - start) / size * 100);
      });
    };
    xhr.onload = function () {
      busy = false;
      var body = {};
      try { body = JSON.parse(xhr.responseText); } catch (err) { body = {}; }
      if (xhr.status === 200 && body.ok) {
        bars.forEach(function (b) { setBar(b, 100); b.inner.classList.add("bg-success"); });
        list.setAttribute("data-done", "true");
        window.setTimeout(function () { window.location.reload(); }, 800);
      } else {
        bars.forEach(function (b) { b.inner.classList.add("bg-danger"); });
        if (body.error) {
          showError(body.error);
        } else if (xhr.status === 413) {
          showError("本批文件总量超过服务器允许的上限，请分批上传。");
        } else {
          showError("上传失败（错误代码 " + xhr.status + "），请重试。");
        }
      }
    };
    xhr.onerror = function () {
      busy = false;
      showError("网络中断，上传失败，请重试。");
    };
    xhr.send(data);
  }

  picker.addEventListener("change", function () { send(picker.files); });
  camera.addEventListener("change", function () { send(camera.files); });
  ["dragenter", "dragover"].forEach(function (t) {
    zone.addEventListener(t, function (e) { e.preventDefault(); zone.classList.add("dragover"); });
  });
  ["dragleave", "drop"].forEach(function (t) {
    zone.addEventListener(t, function (e) { e.preventDefault(); zone.classList.remove("dragover"); });
  });
  zone.addEventListener("drop", function (e) { send(e.dataTransfer.files); });
})();
