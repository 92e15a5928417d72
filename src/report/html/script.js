(function () {
  "use strict";
  var d = document;
  function each(list, f) { Array.prototype.forEach.call(list, f); }
  // A link to a folded trace opens it.
  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    var e = id && d.getElementById(id);
    if (e && e.tagName === "DETAILS") { e.open = true; }
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();
  // Copy buttons next to every command.
  each(d.querySelectorAll("pre.cmd"), function (pre) {
    var b = d.createElement("button");
    b.type = "button";
    b.className = "copy";
    b.textContent = "Copy";
    b.addEventListener("click", function () {
      var done = function () { b.textContent = "Copied"; setTimeout(function () { b.textContent = "Copy"; }, 1500); };
      var select = function () {
        var r = d.createRange();
        r.selectNodeContents(pre);
        var s = window.getSelection();
        s.removeAllRanges();
        s.addRange(r);
      };
      if (navigator.clipboard) { navigator.clipboard.writeText(pre.textContent).then(done, select); } else { select(); }
    });
    pre.parentNode.insertBefore(b, pre);
  });
  // Sortable tables: click a heading.
  each(d.querySelectorAll("table.sortable"), function (t) {
    var heads = t.tHead.rows[0].cells;
    each(heads, function (h, i) {
      h.classList.add("sort");
      h.tabIndex = 0;
      h.addEventListener("click", function () {
        var body = t.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows).filter(function (r) { return !r.classList.contains("evidence"); });
        var asc = h.getAttribute("aria-sort") !== "ascending";
        each(heads, function (o) { o.removeAttribute("aria-sort"); });
        h.setAttribute("aria-sort", asc ? "ascending" : "descending");
        var value = function (r) { return r.cells[i] ? r.cells[i].textContent.trim() : ""; };
        rows.sort(function (x, y) {
          var a = value(x), b = value(y), na = Number(a), nb = Number(b);
          var c = (a !== "" && b !== "" && !isNaN(na) && !isNaN(nb)) ? na - nb : a.localeCompare(b);
          return asc ? c : -c;
        });
        rows.forEach(function (r) {
          var next = r.nextElementSibling;
          body.appendChild(r);
          if (next && next.classList.contains("evidence")) { body.appendChild(next); }
        });
      });
    });
  });
  // A filter box over the trace sections.
  var list = d.getElementById("traces");
  var first = list && list.querySelector("details.trace");
  if (first) {
    var input = d.createElement("input");
    input.type = "search";
    input.className = "filter";
    input.placeholder = "Filter traces: status, verdict, server, URL, file";
    input.addEventListener("input", function () {
      var q = input.value.toLowerCase();
      each(list.querySelectorAll("details.trace"), function (e) {
        e.hidden = q !== "" && e.querySelector("summary").textContent.toLowerCase().indexOf(q) < 0;
      });
    });
    first.parentNode.insertBefore(input, first);
  }
  d.documentElement.setAttribute("data-js", "ready");
})();
