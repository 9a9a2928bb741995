// The emergency desk: village suggestions as the desk types, and a click on the map asks for
// that place. No inline script (the pages run under a Content-Security-Policy).
(function () {
  "use strict";
  var form = document.getElementById("ask");
  if (!form) return;
  var input = document.getElementById("village-q");
  var list = document.getElementById("village-list");
  var villageId = document.getElementById("village-id");
  var lat = document.getElementById("lat");
  var lon = document.getElementById("lon");
  var found = {};
  var timer = null;

  function suggest() {
    var q = input.value.trim();
    if (!q) return;
    fetch(input.dataset.url + "?q=" + encodeURIComponent(q), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { villages: [] }; })
      .then(function (data) {
        list.textContent = "";
        found = {};
        data.villages.forEach(function (v) {
          var option = document.createElement("option");
          option.value = v.name;
          list.appendChild(option);
          found[v.name] = v.id;
        });
      });
  }

  input.addEventListener("input", function () {
    villageId.value = "";
    lat.value = "";
    lon.value = "";
    clearTimeout(timer);
    timer = setTimeout(suggest, 200);
  });
  form.addEventListener("submit", function () {
    if (found[input.value]) villageId.value = found[input.value];
    if (villageId.value || lat.value) input.disabled = true;
    if (!villageId.value) villageId.disabled = true;
    if (!lat.value) { lat.disabled = true; lon.disabled = true; }
  });

  var map = document.getElementById("county-map");
  if (!map) return;
  map.addEventListener("click", function (event) {
    var box = document.getElementById("map-image").getBoundingClientRect();
    var fx = (event.clientX - box.left) / box.width;
    var fy = (event.clientY - box.top) / box.height;
    if (fx < 0 || fx > 1 || fy < 0 || fy > 1) return;
    var south = parseFloat(map.dataset.south), north = parseFloat(map.dataset.north);
    var west = parseFloat(map.dataset.west), east = parseFloat(map.dataset.east);
    lat.value = (north - fy * (north - south)).toFixed(6);
    lon.value = (west + fx * (east - west)).toFixed(6);
    input.value = "";
    villageId.value = "";
    form.requestSubmit();
  });
})();
