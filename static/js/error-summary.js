// Moves keyboard and screen-reader focus to the error summary after a failed save, so the
// first thing announced is what went wrong (GOV.UK's pattern). Without JS the summary is
// still the first thing on the page.
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
  }
});
