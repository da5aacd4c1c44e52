// The print view's button: open the browser's print dialogue.
document.getElementById("print-button")?.addEventListener("click", () => window.print());
