// The live site page: each server-sent "fragment" replaces the content of the element
// of its id (rendered by the server, as the page was). A fragment for an element the
// page lacks (a door added at the site) means the page's layout changed: reload it.
"use strict";
(function () {
  var page = document.querySelector("[data-live]");
  if (!page || !window.EventSource) {
    return;
  }
  var source = new EventSource(page.getAttribute("data-live"));
  source.addEventListener("fragment", function (event) {
    var fragment = JSON.parse(event.data);
    var element = document.getElementById(fragment.id);
    if (!element) {
      source.close();
      window.location.reload();
      return;
    }
    if (element.innerHTML !== fragment.html) {
      element.innerHTML = fragment.html;
    }
  });
  window.addEventListener("pagehide", function () {
    source.close();
  });
})();
