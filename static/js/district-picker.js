// The District field appears as soon as a State is chosen (progressive enhancement). Without
// JavaScript the form keeps its two steps: "Show districts of this state" reloads the page with
// the districts. Names arrive as JSON and are set as text, never as HTML.
document.addEventListener("DOMContentLoaded", () => {
  const container = document.querySelector("[data-districts-url]");
  const state = document.getElementById("f-state_id");
  if (!container || !state) {
    return;
  }
  const button = document.querySelector("[data-district-button]");
  if (button) {
    button.hidden = true;
  }

  const render = (districts, selected) => {
    const field = document.createElement("div");
    field.className = "field";
    const label = document.createElement("label");
    label.htmlFor = "f-district_id";
    label.textContent = container.dataset.label;
    const select = document.createElement("select");
    select.id = "f-district_id";
    select.name = "district_id";
    select.required = true;
    const blank = document.createElement("option");
    blank.value = "";
    blank.textContent = container.dataset.blank;
    select.append(blank);
    for (const district of districts) {
      const option = document.createElement("option");
      option.value = String(district.id);
      option.textContent = district.name;
      option.selected = String(district.id) === selected;
      select.append(option);
    }
    field.append(label, select);
    container.replaceChildren(field);
  };

  const load = async () => {
    if (!state.value) {
      container.replaceChildren();
      return;
    }
    const current = document.getElementById("f-district_id");
    const selected = current ? current.value : "";
    const url = `${container.dataset.districtsUrl}?state_id=${encodeURIComponent(state.value)}`;
    try {
      const response = await fetch(url, { headers: { accept: "application/json" } });
      if (!response.ok) {
        throw new Error(String(response.status));
      }
      render(await response.json(), selected);
    } catch {
      if (button) {
        button.hidden = false; // fall back to the two-step form
      }
    }
  };

  state.addEventListener("change", load);
  if (state.value && !document.getElementById("f-district_id")) {
    load();
  }
});
