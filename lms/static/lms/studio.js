// The studio's question editor, progressively: changing a question's kind submits the form
// (the same "更换题型" button a browser without JavaScript shows), so options, the
// true/false choice or the accepted answers appear at once. Nothing else depends on it.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!select.classList || !select.classList.contains("js-kind")) return;
    var button = select.parentNode.querySelector("button[value='refresh']");
    if (button) button.click();
  });
})();
