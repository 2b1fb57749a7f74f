// report.html's behaviour: filter the case list by verdict, endpoint, matrix cell and text.
// Plain DOM code, no library and no request of any kind; the page reads fine without it.
(function () {
  'use strict';
  var index = JSON.parse(document.getElementById('rc-index').textContent);
  var byId = function (id) { return document.getElementById(id); };
  var verdict = byId('f-verdict');
  var endpoint = byId('f-endpoint');
  var search = byId('f-search');
  var cellNote = byId('f-cell');
  var counter = byId('f-count');
  var none = byId('f-none');
  var cell = null;

  function matches(c) {
    var v = verdict.value;
    if (v === 'problems' ? !c.gate : (v !== 'all' && c.verdict !== v)) { return false; }
    if (endpoint.value !== 'all' && c.endpoint !== endpoint.value) { return false; }
    if (cell && (c.endpoint !== cell.endpoint || c.premise !== cell.premise || c.room !== cell.room)) {
      return false;
    }
    var q = search.value.trim().toLowerCase();
    return !q || c.id.toLowerCase().indexOf(q) >= 0 || c.title.toLowerCase().indexOf(q) >= 0;
  }

  function apply() {
    var shown = 0;
    index.forEach(function (c, i) {
      var ok = matches(c);
      byId('case-' + i).hidden = !ok;
      if (ok) { shown += 1; }
    });
    counter.textContent = shown + ' of ' + index.length + ' cases';
    none.hidden = shown !== 0;
    cellNote.hidden = !cell;
    cellNote.textContent = cell ? 'cell: ' + cell.premise + ' · ' + cell.endpoint + ' · ' + cell.room : '';
  }

  verdict.addEventListener('change', apply);
  endpoint.addEventListener('change', apply);
  search.addEventListener('input', apply);
  byId('f-clear').addEventListener('click', function () {
    verdict.value = 'all'; endpoint.value = 'all'; search.value = ''; cell = null; apply();
  });
  byId('f-open').addEventListener('click', function () {
    document.querySelectorAll('details.case:not([hidden])').forEach(function (d) { d.open = true; });
  });
  byId('f-close').addEventListener('click', function () {
    document.querySelectorAll('details.case').forEach(function (d) { d.open = false; });
  });
  document.querySelectorAll('.chip[data-verdict]').forEach(function (b) {
    b.addEventListener('click', function () {
      verdict.value = b.getAttribute('data-verdict'); cell = null; apply();
      byId('cases').scrollIntoView();
    });
  });
  document.querySelectorAll('.cellbtn').forEach(function (b) {
    b.addEventListener('click', function () {
      cell = { endpoint: b.getAttribute('data-endpoint'), premise: b.getAttribute('data-premise'),
        room: b.getAttribute('data-room') };
      verdict.value = 'all'; endpoint.value = 'all'; search.value = ''; apply();
      byId('cases').scrollIntoView();
    });
  });
  var linked = location.hash.indexOf('#case-') === 0 ? byId(location.hash.slice(1)) : null;
  if (linked) { verdict.value = 'all'; linked.open = true; }
  apply();
  if (linked) { linked.scrollIntoView(); }
}());
