// 志愿服务: select-all boxes, the name filter and "fill the same hours" on the record-hours form.
(function () {
  "use strict";
  document.querySelectorAll("[data-check-all]").forEach(function (box) {
    box.addEventListener("change", function () {
      box.closest("form").querySelectorAll('input[name="records"]').forEach(function (b) { b.checked = box.checked; });
    });
  });
  var filter = document.getElementById("person-filter");
  if (filter) {
    filter.addEventListener("input", function () {
      var q = filter.value.trim();
      document.querySelectorAll("[data-person]").forEach(function (row) {
        row.hidden = q !== "" && row.dataset.person.indexOf(q) === -1;
      });
    });
  }
  var fill = document.getElementById("fill-hours");
  if (fill) {
    fill.addEventListener("click", function () {
      var value = document.getElementById("same-hours").value;
      document.querySelectorAll("[data-person]").forEach(function (row) {
        var box = row.querySelector('input[name="v"]');
        var input = row.querySelector('input[type="number"]');
        if (box && box.checked && input && !input.value) { input.value = value; }
      });
    });
  }
  document.querySelectorAll("[data-person] input[type=number]").forEach(function (input) {
    input.addEventListener("input", function () {
      var box = input.closest("[data-person]").querySelector('input[name="v"]');
      if (box && input.value) { box.checked = true; }
    });
  });
})();
