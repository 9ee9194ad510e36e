(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("cohort-data").textContent);
  var S = data.s, rows = data.r, body = document.getElementById("cohort-body");
  var filter = document.getElementById("cohort-filter"), status = document.getElementById("cohort-status");
  var mech = document.getElementById("cohort-mechanism"), info = document.getElementById("cohort-info");
  var size = parseInt(body.getAttribute("data-page-rows"), 10) || 50, page = 0, view = rows;
  var sortKey = -1, sortDir = 1;
  function cell(tr, text, cls) {
    var td = document.createElement("td"); td.textContent = text;
    if (cls) { td.className = cls; } tr.appendChild(td); return td;
  }
  function draw() {
    var pages = Math.max(1, Math.ceil(view.length / size));
    if (page >= pages) { page = pages - 1; }
    var frag = document.createDocumentFragment();
    view.slice(page * size, page * size + size).forEach(function (r) {
      var tr = document.createElement("tr"), td = cell(tr, "", "sample-name"), link = S[r[1]];
      if (link) { var a = document.createElement("a"); a.href = link; a.textContent = r[0]; td.appendChild(a); }
      else { td.textContent = r[0]; }
      if (r[2]) { cell(tr, "ok"); }
      else { var st = cell(tr, "", ""); var sp = document.createElement("span"); sp.className = "failed";
        sp.textContent = "failed"; st.appendChild(sp);
        if (S[r[3]]) { st.appendChild(document.createElement("br")); var sm = document.createElement("small");
          sm.textContent = S[r[3]]; st.appendChild(sm); } }
      cell(tr, S[r[4]]); cell(tr, S[r[5]]); cell(tr, S[r[6]]); cell(tr, S[r[7]]);
      frag.appendChild(tr);
    });
    body.textContent = ""; body.appendChild(frag);
    info.textContent = view.length + " of " + rows.length + " samples · page " + (page + 1) + " of " + pages;
  }
  function apply() {
    var q = filter.value.trim().toLowerCase(), st = status.value, m = mech.value;
    view = rows.filter(function (r) {
      if (st === "ok" && !r[2]) { return false; }
      if (st === "failed" && r[2]) { return false; }
      if (m && (", " + S[r[6]] + ",").indexOf(", " + m + ",") < 0) { return false; }
      if (!q) { return true; }
      return (r[0] + " " + S[r[3]] + " " + S[r[4]] + " " + S[r[5]] + " " + S[r[6]] + " " + S[r[7]])
        .toLowerCase().indexOf(q) >= 0;
    });
    if (sortKey >= 0) {
      view = view.slice().sort(function (a, b) {
        var x = sortKey === 0 ? a[0] : S[a[sortKey]], y = sortKey === 0 ? b[0] : S[b[sortKey]];
        return x < y ? -sortDir : x > y ? sortDir : 0;
      });
    }
    page = 0; draw();
  }
  filter.addEventListener("input", apply); status.addEventListener("change", apply);
  mech.addEventListener("change", apply);
  document.getElementById("cohort-prev").addEventListener("click", function () { if (page > 0) { page--; draw(); } });
  document.getElementById("cohort-next").addEventListener("click", function () { page++; draw(); });
  Array.prototype.forEach.call(document.querySelectorAll("th[data-key]"), function (th) {
    th.addEventListener("click", function () {
      var key = parseInt(th.getAttribute("data-key"), 10);
      sortDir = key === sortKey ? -sortDir : 1; sortKey = key; apply();
    });
  });
  document.getElementById("cohort-controls").hidden = false;
  draw();
})();
