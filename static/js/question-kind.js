// The committee's question form shows only the fields the chosen kind of question uses.
// The others are hidden and disabled, so a value typed before the kind changed is not sent.
// Without this script every field shows; each part's legend says which kind it is for.
const form = document.getElementById("question-form");
if (form) {
  const kind = form.elements.namedItem("kind");
  const parts = form.querySelectorAll("[data-kinds]"); // outer parts come before inner ones
  const show = () => {
    for (const part of parts) {
      const used = part.dataset.kinds.split(" ").includes(kind.value);
      part.hidden = !used;
      for (const input of part.querySelectorAll("input, select, textarea")) {
        input.disabled = !used;
      }
    }
  };
  kind.addEventListener("change", show);
  show();
}
