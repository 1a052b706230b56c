// Rule pages: a problem's "line N" link puts the caret on that line of
// its textarea and selects it. Without JS the link still moves to the box.
"use strict";
document.addEventListener("click", function (ev) {
  const a = ev.target instanceof Element ? ev.target.closest("a.goto-line") : null;
  if (!a) return;
  const box = document.getElementById((a.getAttribute("href") || "").slice(1));
  const line = parseInt(a.dataset.line || "", 10);
  if (!(box instanceof HTMLTextAreaElement) || !(line > 0)) return;
  ev.preventDefault();
  const lines = box.value.split("\n");
  let start = 0;
  for (let i = 0; i < line - 1 && i < lines.length; i++) start += lines[i].length + 1;
  const end = start + (lines[line - 1] || "").length;
  box.focus();
  box.setSelectionRange(start, end);
  // Scroll the line into view: a line is about line-height tall.
  const lh = parseFloat(getComputedStyle(box).lineHeight) || 20;
  box.scrollTop = Math.max(0, (line - 3) * lh);
});
