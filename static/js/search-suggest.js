// Search-as-you-type: fills a <datalist> under the header search box. Without JavaScript the
// box is a plain GET form to /search.
(function () {
  "use strict";
  var input = document.getElementById("site-search");
  if (!input || !window.fetch) return;
  var list = document.createElement("datalist");
  list.id = "site-search-suggestions";
  document.body.appendChild(list);
  input.setAttribute("list", list.id);
  input.setAttribute("autocomplete", "off");
  var timer = null;
  var last = "";
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var q = input.value.trim();
      if (q.length < 2 || q === last) return;
      last = q;
      fetch("/api/v1/search/suggest?q=" + encodeURIComponent(q), {
        headers: { Accept: "application/json" },
      })
        .then(function (response) { return response.ok ? response.json() : { suggestions: [] }; })
        .then(function (body) {
          if (input.value.trim() !== q) return;
          list.textContent = "";
          body.suggestions.forEach(function (text) {
            var option = document.createElement("option");
            option.value = text;
            list.appendChild(option);
          });
        })
        .catch(function () {});
    }, 150);
  });
})();
