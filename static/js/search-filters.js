// Applies a filter as soon as a facet box or the sort changes; the Apply button does the same
// without JavaScript.
(function () {
  "use strict";
  var form = document.querySelector(".search-filters");
  if (!form) return;
  form.addEventListener("change", function (event) {
    if (event.target.type === "checkbox" || event.target.tagName === "SELECT") form.submit();
  });
})();
