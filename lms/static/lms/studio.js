// The studio's question editor, progressively: changing a question's kind submits the form
// (the same "更换题型" button a browser without JavaScript shows), so options, the
// true/false choice or the accepted answers appear at once; choosing a draw rule's bank
// lists its tags the same way ("列出标签"). Nothing else depends on it.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!select.classList) return;
    if (!select.classList.contains("js-kind") && !select.classList.contains("js-bank")) return;
    var button = select.parentNode.querySelector("button[value='refresh']");
    if (button) button.click();
  });
})();
