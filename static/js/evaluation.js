// 测评: filter a multi-select by code and text as the user types (selected options always stay visible).
document.querySelectorAll("[data-filter-select]").forEach(function (input) {
  var select = document.getElementById(input.dataset.filterSelect);
  if (!select) return;
  input.addEventListener("input", function () {
    var q = input.value.trim().toLowerCase();
    Array.prototype.forEach.call(select.options, function (opt) {
      opt.hidden = q !== "" && !opt.selected && opt.text.toLowerCase().indexOf(q) === -1;
    });
  });
});
